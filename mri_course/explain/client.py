"""Ask Gemini about a scan, in bounded time, with every failure turned into a clear fault.

An app must not hang on a slow service or crash on a refused one. :func:`ask_gemini` sends
the prompt and both images with the ``google-genai`` SDK, retries what is worth retrying
(a 429 quota answer and 5xx server errors) with exponential backoff, and raises
:class:`GeminiFault` for everything else, with a message a learner can act on. The API key
is sent in a header by the SDK; it never enters a message, a log record or an exception.
"""

from __future__ import annotations

import importlib
import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google import genai
from google.genai import errors, types

from mri_course.explain.parse import ANSWER_SCHEMA

logger = logging.getLogger(__name__)

FAULT_KINDS: tuple[str, ...] = (
    "no_key",  # no API key configured
    "invalid_key",  # the key was refused
    "model",  # no such model (e.g. a retired one)
    "quota",  # 429, still after the retries
    "server",  # 5xx, still after the retries
    "timeout",  # no answer in time
    "network",  # Gemini could not be reached
    "blocked",  # Gemini declined to answer (safety)
    "empty",  # an answer without text
    "request",  # another refusal of the request
    "unexpected",  # anything else the SDK raised
)

BLOCKING_FINISH_REASONS = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)
MESSAGE_LIMIT = 200  # characters of a server message worth showing


def _http_errors(name: str) -> tuple[type[BaseException], ...]:
    """The exception class ``name`` of httpx and of its fork httpx2: the SDK uses either."""
    found = []
    for module_name in ("httpx", "httpx2"):
        try:
            found.append(getattr(importlib.import_module(module_name), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


HTTP_TIMEOUTS = _http_errors("TimeoutException")
HTTP_TRANSPORT_ERRORS = _http_errors("TransportError")  # refused, reset, unreachable


class GeminiFault(Exception):
    """Gemini gave no usable answer; ``kind`` is one of ``FAULT_KINDS``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a 429 or a 5xx answer.

    The waits double from ``first_delay_s`` (1, 2, 4 s ...), or follow the server's
    ``Retry-After`` when it gives one; all waits together never pass ``max_total_delay_s``,
    so a call takes at most its timeout plus this.
    """

    attempts: int = 3  # including the first
    first_delay_s: float = 1.0
    max_total_delay_s: float = 8.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.first_delay_s < 0 or self.max_total_delay_s < 0:
            raise ValueError(f"a retry policy needs attempts >= 1 and waits >= 0, not {self}")

    def delay(self, retry: int, asked_s: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first)."""
        if asked_s is not None:
            return asked_s
        return self.first_delay_s * 2 ** (retry - 1)


def scrub(text: str, secret: str | None) -> str:
    """``text`` without ``secret``, shortened: safe for a message or a log."""
    if secret:
        text = text.replace(secret, "[API key]")
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def request_contents(prompt: str, scan_png: bytes, overlay_png: bytes) -> list[Any]:
    """The prompt, then the scan, then the overlay: the order the prompt announces."""
    return [
        prompt,
        types.Part.from_bytes(data=scan_png, mime_type="image/png"),
        types.Part.from_bytes(data=overlay_png, mime_type="image/png"),
    ]


def answer_config(timeout_s: float) -> types.GenerateContentConfig:
    """Ask for JSON of the answer's schema, within ``timeout_s`` seconds."""
    return types.GenerateContentConfig(
        response_mime_type="application/json",
        response_schema=ANSWER_SCHEMA,
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        http_options=types.HttpOptions(timeout=max(1, round(timeout_s * 1000))),
    )


def _name(value: Any) -> str:
    """An SDK enum (or None) as its API name, e.g. ``"SAFETY"``."""
    return str(getattr(value, "value", value) or "")


def answer_text(response: types.GenerateContentResponse) -> str:
    """The text of a response, or a fault saying why there is none."""
    if not response.candidates:
        feedback = response.prompt_feedback
        reason = _name(feedback.block_reason) if feedback else ""
        if reason:
            raise GeminiFault("blocked", f"Gemini declined to answer (blocked: {reason}).")
        raise GeminiFault("empty", "Gemini returned no answer at all.")
    finish = _name(response.candidates[0].finish_reason)
    text = response.text
    if text and text.strip():
        return text
    if finish in BLOCKING_FINISH_REASONS:
        raise GeminiFault("blocked", f"Gemini declined to answer (finish reason: {finish}).")
    raise GeminiFault(
        "empty", f"Gemini returned an empty answer (finish reason: {finish or 'none given'})."
    )


def _seconds(text: str) -> float | None:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*s?\s*", text)
    return float(match.group(1)) if match else None


def asked_delay_s(error: errors.APIError) -> float | None:
    """How long the server asked us to wait: ``Retry-After``, or the API's ``RetryInfo``."""
    headers = getattr(error.response, "headers", None) or {}
    if headers.get("retry-after"):
        return _seconds(headers["retry-after"])
    body = error.details if isinstance(error.details, dict) else {}
    details = (body.get("error") or {}).get("details") or []
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            return _seconds(str(detail.get("retryDelay", "")))
    return None


def fault_from_api_error(error: errors.APIError, model: str, api_key: str | None) -> GeminiFault:
    """Name what an error answer of the API means, without the key."""
    code, status = error.code, error.status or ""
    said = scrub(str(error.message or ""), api_key).rstrip(".")
    what = f"{code} {status}".strip()
    if code in (401, 403) or (code == 400 and "api key" in said.lower()):
        return GeminiFault(
            "invalid_key",
            f"Gemini refused the API key ({what}). Check GEMINI_API_KEY (or GOOGLE_API_KEY, "
            "or the app's secrets): it must be a key from Google AI Studio.",
        )
    if code == 404:
        return GeminiFault(
            "model",
            f"Gemini has no model {model!r} ({what}): it may be retired. Set "
            "MRI_COURSE_GEMINI_MODEL to a current model.",
        )
    if code == 429:
        return GeminiFault(
            "quota",
            f"Gemini's quota is used up for now ({what}: {said}). Wait a minute, or check "
            "the key's plan.",
        )
    if code >= 500 or code == 408:
        return GeminiFault("server", f"Gemini had a server error ({what}: {said}).")
    return GeminiFault("request", f"Gemini refused the request ({what}: {said}).")


def call_within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()`` in a worker thread, given up after ``seconds``.

    The SDK's own timeout applies to each network read; a server that trickles bytes could
    outlast it. Waiting in a thread puts one hard bound on the whole call.
    """
    outcome: queue.SimpleQueue = queue.SimpleQueue()

    def work() -> None:
        try:
            outcome.put((True, call()))
        except BaseException as error:  # handed to the waiting thread, raised there
            outcome.put((False, error))

    threading.Thread(target=work, name="gemini-request", daemon=True).start()
    try:
        succeeded, value = outcome.get(timeout=seconds)
    except queue.Empty:
        raise TimeoutError from None
    if succeeded:
        return value
    raise value


def ask_gemini(
    prompt: str,
    scan_png: bytes,
    overlay_png: bytes,
    *,
    api_key: str | None,
    model: str,
    base_url: str | None = None,
    timeout_s: float = 30.0,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Send the prompt and both images to Gemini and return its answer's text.

    Args:
        prompt: the grounded prompt (see :func:`~mri_course.explain.prompt.build_prompt`).
        scan_png: the scan, as PNG bytes.
        overlay_png: the scan with the saliency overlay, as PNG bytes.
        api_key: the Gemini API key; None or empty raises a ``no_key`` fault at once.
        model: the model name, e.g. ``"gemini-3.8-flash"``.
        base_url: another address for the API (a proxy, a test stub); None for Google's.
        timeout_s: the most time all requests together may take (waits excluded).
        retry: when and how long to wait before retrying a 429 or 5xx answer (default:
            ``RetryPolicy()``).
        sleep: how to wait (tests pass a fake one).

    Raises:
        GeminiFault: with a ``kind`` from ``FAULT_KINDS`` and a message without the key.
    """
    if not api_key:
        raise GeminiFault(
            "no_key",
            "No Gemini API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or add it to the "
            "app's secrets.",
        )
    retry = retry or RetryPolicy()
    try:
        # vertexai=False: the key is a Gemini API key, whatever GOOGLE_GENAI_USE_VERTEXAI says
        client = genai.Client(
            vertexai=False, api_key=api_key, http_options=types.HttpOptions(base_url=base_url)
        )
    except Exception as error:
        raise GeminiFault(
            "unexpected",
            f"The Gemini client could not start ({type(error).__name__}: "
            f"{scrub(str(error), api_key)}).",
        ) from None
    contents = request_contents(prompt, scan_png, overlay_png)
    deadline = time.monotonic() + timeout_s
    waited = 0.0
    try:
        for attempt in range(1, retry.attempts + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                response = call_within(
                    remaining,
                    lambda seconds=remaining: client.models.generate_content(
                        model=model, contents=contents, config=answer_config(seconds)
                    ),
                )
            except errors.APIError as error:
                fault = fault_from_api_error(error, model, api_key)
                if fault.kind not in ("quota", "server"):
                    raise fault from None
                asked = asked_delay_s(error)
                delay = retry.delay(attempt, asked)
                if attempt == retry.attempts or waited + delay > retry.max_total_delay_s:
                    too_long = f" Gemini asked to wait {asked:g} s." if asked is not None else ""
                    tries = f" Tried {attempt} times." if attempt > 1 else ""
                    raise GeminiFault(fault.kind, fault.message + too_long + tries) from None
                logger.info("Gemini answered %s; retrying in %.1f s", fault.kind, delay)
                sleep(delay)
                waited += delay
                deadline += delay  # the wait is bounded separately, not taken from the timeout
                continue
            except (TimeoutError, *HTTP_TIMEOUTS):
                break
            except HTTP_TRANSPORT_ERRORS as error:
                where = scrub(base_url or "Google's API", api_key)
                raise GeminiFault(
                    "network", f"Could not reach Gemini at {where} ({type(error).__name__})."
                ) from None
            except Exception as error:  # the SDK's own errors, e.g. an unreadable response
                raise GeminiFault(
                    "unexpected",
                    f"The Gemini call failed unexpectedly ({type(error).__name__}: "
                    f"{scrub(str(error), api_key)}).",
                ) from None
            return answer_text(response)
        raise GeminiFault("timeout", f"Gemini did not answer within {timeout_s:g} s.")
    finally:
        client.close()
