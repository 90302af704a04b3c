"""A stand-in for the Gemini API on this machine, answering with the real REST shapes.

The tests and lesson 07 need Gemini's answers *and* its failures (a refused key, a 429, a
server error, a slow reply, a blocked or empty answer) without a key or a network. This
server listens on 127.0.0.1, answers ``POST /v1beta/models/{model}:generateContent`` the
way the Gemini API does (and ``/v1/...``, the SDK's default), and records each request, so
the real SDK can be pointed at it with the base URL setting (``MRI_COURSE_GEMINI_BASE_URL``).

    with GeminiStub([error_reply(429, "RESOURCE_EXHAUSTED", "Quota exceeded"),
                     answer_reply({"summary": ..., "regions": ..., "caveats": [...]})]) as stub:
        ...  # settings with gemini_base_url=stub.base_url

Replies are used in order; the last one repeats.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GENERATE_PATH = re.compile(r"^/(?P<version>v1|v1beta)/models/(?P<model>[^/:]+):generateContent$")
"""The SDK calls ``v1`` by default and ``v1beta`` when asked; the API answers both."""
USAGE = {"promptTokenCount": 1290, "candidatesTokenCount": 120, "totalTokenCount": 1410}


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
    model: str | None
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names, no key
    api_key: str | None = field(default=None, repr=False)


def answer_reply(answer: Mapping[str, Any] | str, delay_s: float = 0.0) -> StubReply:
    """A successful answer whose text is ``answer`` (a mapping is sent as JSON text)."""
    text = answer if isinstance(answer, str) else json.dumps(answer)
    return StubReply(
        body={
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": USAGE,
            "modelVersion": "gemini-stub",
            "responseId": "stub-response",
        },
        delay_s=delay_s,
    )


def error_reply(
    code: int, status: str, message: str, retry_after_s: float | None = None
) -> StubReply:
    """An error answer in the API's shape, e.g. ``error_reply(429, "RESOURCE_EXHAUSTED", ...)``.

    ``retry_after_s`` adds a ``Retry-After`` header, as a proxy or the API may send.
    """
    headers = {} if retry_after_s is None else {"Retry-After": f"{retry_after_s:g}"}
    return StubReply(
        status=code,
        body={"error": {"code": code, "message": message, "status": status}},
        headers=headers,
    )


def raw_reply(text: str, status: int = 200) -> StubReply:
    """A body that is not JSON, e.g. the HTML page of a proxy in the way."""
    return StubReply(status=status, body=text)


def blocked_reply(reason: str = "SAFETY") -> StubReply:
    """The prompt was blocked: no candidates, only ``promptFeedback.blockReason``."""
    return StubReply(
        body={
            "promptFeedback": {"blockReason": reason},
            "usageMetadata": {"promptTokenCount": 1290, "totalTokenCount": 1290},
            "modelVersion": "gemini-stub",
        }
    )


def empty_reply(finish_reason: str = "STOP") -> StubReply:
    """A candidate whose text is empty."""
    return StubReply(
        body={
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": ""}]},
                    "finishReason": finish_reason,
                    "index": 0,
                }
            ],
            "usageMetadata": USAGE,
            "modelVersion": "gemini-stub",
        }
    )


INVALID_KEY = error_reply(
    400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."
)
QUOTA = error_reply(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).")
SERVER_ERROR = error_reply(500, "INTERNAL", "An internal error has occurred.")
UNAVAILABLE = error_reply(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
NO_SUCH_MODEL = error_reply(
    404, "NOT_FOUND", "models/gemini-1.5-flash is not found for API version v1beta."
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping never blocks shutting down
    stub: GeminiStub

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timed-out SDK call) is expected; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr: tests read stderr."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"unreadable": raw.decode("utf-8", "replace")}
        matched = GENERATE_PATH.match(self.path.split("?")[0])
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.stub.record(
            RecordedRequest(
                path=self.path,
                model=matched["model"] if matched else None,
                body=body,
                headers={k: v for k, v in headers.items() if k != "x-goog-api-key"},
                api_key=headers.get("x-goog-api-key"),
            )
        )
        if not matched:
            reply = error_reply(404, "NOT_FOUND", f"{self.path} is not a Gemini API method.")
        if reply.delay_s and self.server.stub.stopping.wait(reply.delay_s):
            return
        is_json = not isinstance(reply.body, str)
        payload = (json.dumps(reply.body) if is_json else reply.body).encode("utf-8")
        self.send_response(reply.status)
        kind = "application/json" if is_json else "text/html"
        self.send_header("Content-Type", f"{kind}; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not reply.trickle_s:
            self.wfile.write(payload)
            return
        for index in range(len(payload)):
            self.wfile.write(payload[index : index + 1])
            self.wfile.flush()
            if self.server.stub.stopping.wait(reply.trickle_s):
                return


class GeminiStub:
    """A loopback Gemini API that answers with scripted replies and records requests."""

    def __init__(self, replies: Sequence[StubReply] = ()) -> None:
        self._replies: list[StubReply] = list(replies) or [empty_reply()]
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def reply_with(self, *replies: StubReply) -> None:
        """Script the next answers (the last one repeats) and forget earlier requests."""
        if not replies:
            raise ValueError("give at least one reply")
        with self._lock:
            self._replies = list(replies)
            self.requests = []

    def record(self, request: RecordedRequest) -> StubReply:
        """Keep ``request`` and return the reply scripted for it."""
        with self._lock:
            self.requests.append(request)
            index = min(len(self.requests), len(self._replies)) - 1
            return self._replies[index]

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stub is not running: call start() or use `with GeminiStub()`")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> GeminiStub:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.stub = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns quickly
            name="gemini-stub",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> GeminiStub:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
