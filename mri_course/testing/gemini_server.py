"""A stand-in for the Gemini API on this machine, answering with the real REST shapes.

The tests and lesson 08 need Gemini's answers *and* its failures (a refused key, a 429, a
server error, a slow reply, a blocked or empty answer) without a key or a network. This
server listens on 127.0.0.1, answers every POST with the next scripted reply, and records
each request, so the real SDK can be pointed at it with the base URL setting
(``MRI_COURSE_GEMINI_BASE_URL``).

    with GeminiStub([QUOTA, answer_reply({"summary": ..., "regions": ..., ...})]) as stub:
        ...  # settings with gemini_base_url=stub.base_url

Replies are used in order; the last one repeats.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class StubReply:
    """One scripted answer: an HTTP status, a body (JSON, or raw text), and how it is sent.

    ``delay_s`` waits before answering (a slow service); ``trickle_s`` sends the body one
    byte at a time with that pause between bytes (a stalled connection that never quite
    stops, which a per-read network timeout does not catch).
    """

    status: int = 200
    body: Mapping[str, Any] | str = field(default_factory=dict)
    delay_s: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)
    trickle_s: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """A request the stub received. The API key is kept apart and out of the repr."""

    path: str
    body: dict[str, Any]
    headers: Mapping[str, str]  # lower-case names, without the key
    api_key: str | None = field(default=None, repr=False)


def answer_reply(
    answer: Mapping[str, Any] | str, delay_s: float = 0.0, finish_reason: str = "STOP"
) -> StubReply:
    """An answer whose text is ``answer`` (a mapping is sent as JSON text)."""
    text = answer if isinstance(answer, str) else json.dumps(answer)
    candidate = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    return StubReply(
        body={"candidates": [{**candidate, "finishReason": finish_reason}]}, delay_s=delay_s
    )


def empty_reply(finish_reason: str = "STOP") -> StubReply:
    """An answer whose text is empty; ``"SAFETY"`` and the like: Gemini declined."""
    return answer_reply("", finish_reason=finish_reason)


def blocked_reply(reason: str = "SAFETY") -> StubReply:
    """The prompt was blocked: no candidates, only ``promptFeedback.blockReason``."""
    return StubReply(body={"promptFeedback": {"blockReason": reason}})


def error_reply(
    code: int, status: str, message: str, retry_after_s: float | None = None
) -> StubReply:
    """An error answer in the API's shape; ``retry_after_s`` adds a ``Retry-After`` header."""
    headers = {} if retry_after_s is None else {"Retry-After": f"{retry_after_s:g}"}
    body = {"error": {"code": code, "message": message, "status": status}}
    return StubReply(status=code, body=body, headers=headers)


INVALID_KEY = error_reply(
    400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."
)
QUOTA = error_reply(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).")
SERVER_ERROR = error_reply(500, "INTERNAL", "An internal error has occurred.")
UNAVAILABLE = error_reply(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
NO_SUCH_MODEL = error_reply(404, "NOT_FOUND", "models/gemini-1.5-flash is not found for v1beta.")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr: tests read stderr."""

    def do_POST(self) -> None:
        stub: GeminiStub = self.server.stub  # type: ignore[attr-defined]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or "{}")
        headers = {name.lower(): value for name, value in self.headers.items()}
        key = headers.pop("x-goog-api-key", None)
        reply = stub.record(RecordedRequest(self.path, body, headers, api_key=key))
        if stub.stopping.wait(reply.delay_s):
            return
        is_json = not isinstance(reply.body, str)
        payload = (json.dumps(reply.body) if is_json else reply.body).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json" if is_json else "text/html")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        step = 1 if reply.trickle_s else max(1, len(payload))
        for start in range(0, len(payload), step):
            self.wfile.write(payload[start : start + step])
            self.wfile.flush()
            if stub.stopping.wait(reply.trickle_s):
                return


class GeminiStub:
    """A loopback Gemini API that answers with scripted replies and records requests."""

    def __init__(self, replies: Sequence[StubReply] = ()) -> None:
        self._replies = list(replies) or [empty_reply()]
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True  # a handler still sleeping never blocks stopping
        self._server.handle_error = lambda *args: None  # a client that hung up is expected
        self._server.stub = self  # type: ignore[attr-defined]

    def reply_with(self, *replies: StubReply) -> None:
        """Script the next answers (the last one repeats) and forget earlier requests."""
        with self._lock:
            self._replies, self.requests = list(replies), []

    def record(self, request: RecordedRequest) -> StubReply:
        """Keep ``request`` and return the reply scripted for it."""
        with self._lock:
            self.requests.append(request)
            return self._replies[min(len(self.requests), len(self._replies)) - 1]

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> GeminiStub:
        # a short poll interval: leaving the block returns quickly
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
