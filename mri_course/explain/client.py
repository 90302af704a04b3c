"""Ask Gemini about a scan, in bounded time, with every failure turned into a clear fault.

An app must not hang on a slow service or crash on a refused one. :func:`ask_gemini` sends
the prompt and both images with the ``google-genai`` SDK, retries a 429 quota answer and
5xx server errors with exponential backoff, and raises :class:`GeminiFault` for everything
else, with a message a learner can act on. The API key travels in a header only: never in
a message, a log record or an exception (a key that cannot be sent is refused before any
request, and :mod:`.redaction` cleans the HTTP stack's log); nor do the base URL's login
details. The retries are our own, not the SDK's (``HttpRetryOptions``): those ignore the
wait the server asks for, have no bound on the total wait, and cannot be tested without
waiting.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx2  # the SDK's HTTP library
from google import genai
from google.genai import errors, types

from mri_course.config import key_problem, redact_url
from mri_course.explain.parse import ANSWER_SCHEMA
from mri_course.explain.redaction import LOG_REDACTOR, redact

logger = logging.getLogger(__name__)

BLOCKING_FINISH_REASONS = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)


class GeminiFault(Exception):
    """Gemini gave no usable answer, for the reason ``kind`` names: ``no_key``,
    ``invalid_key``, ``model`` (no such model), ``quota`` and ``server`` (429 and 5xx, still
    after the retries), ``timeout``, ``network``, ``blocked``, ``empty``, ``request`` (another
    refusal) or ``unexpected``. ``retry_after_s``: the wait Gemini asked for, if it did."""

    def __init__(self, kind: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a 429 or a 5xx answer: the waits double from
    ``first_delay_s``, or follow the server's ``Retry-After``, and never pass
    ``max_total_delay_s`` together, so a call takes at most its timeout plus this."""

    attempts: int = 3  # including the first
    first_delay_s: float = 1.0
    max_total_delay_s: float = 8.0


def scrub(text: str, secret: str | None, url: str | None = None) -> str:
    """``text`` without ``secret`` nor the login details of ``url`` (or of any URL it
    quotes), on one line and at most 200 characters."""
    text = " ".join(redact(text, secret, url).split())
    return text if len(text) <= 200 else text[:197] + "..."


def answer_text(response: types.GenerateContentResponse) -> str:
    """The text of a response, or a fault saying why there is none."""
    if not response.candidates:
        feedback = response.prompt_feedback
        if feedback and feedback.block_reason:
            reason = getattr(feedback.block_reason, "value", feedback.block_reason)  # an enum
            raise GeminiFault("blocked", f"Gemini declined to answer (blocked: {reason}).")
        raise GeminiFault("empty", "Gemini returned no answer at all.")
    text = response.text
    if text and text.strip():
        return text
    finish = response.candidates[0].finish_reason
    finish = getattr(finish, "value", finish) or "none given"
    if finish in BLOCKING_FINISH_REASONS:
        raise GeminiFault("blocked", f"Gemini declined to answer (finish reason: {finish}).")
    raise GeminiFault("empty", f"Gemini returned an empty answer (finish reason: {finish}).")


def asked_delay_s(error: errors.APIError) -> float | None:
    """How long the server asked us to wait: ``Retry-After``, or the API's ``RetryInfo``."""
    asked = (getattr(error.response, "headers", None) or {}).get("retry-after")
    if asked is None and isinstance(error.details, dict):
        body = error.details.get("error")
        details = body.get("details") if isinstance(body, dict) else None
        for detail in details if isinstance(details, list) else []:
            if isinstance(detail, dict) and str(detail.get("@type")).endswith("RetryInfo"):
                asked = detail.get("retryDelay")
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*s?\s*", str(asked))  # "3", "37s"
    return float(match.group(1)) if match else None


def fault_from_api_error(
    error: errors.APIError, model: str, api_key: str | None, base_url: str | None = None
) -> GeminiFault:
    """Name what an error answer of the API means, without the key or the URL's login."""
    code = error.code
    what = scrub(f"{error.code} {error.status or ''}".strip(), api_key, base_url)
    said = f"{what}: {scrub(str(error.message or ''), api_key, base_url).rstrip('.')}"
    if code in (401, 403) or (code == 400 and "api key" in said.lower()):
        key_help = "Check GEMINI_API_KEY (or GOOGLE_API_KEY, or the app's secrets)"
        return GeminiFault("invalid_key", f"Gemini refused the API key ({what}). {key_help}.")
    if code == 404:
        retired = "it may be retired. Set MRI_COURSE_GEMINI_MODEL to a current model."
        return GeminiFault("model", f"Gemini has no model {model!r} ({what}): {retired}")
    if code == 429:
        wait = "Wait a minute, or check the key's plan."
        return GeminiFault("quota", f"Gemini's quota is used up for now ({said}). {wait}")
    if code >= 500 or code == 408:
        return GeminiFault("server", f"Gemini had a server error ({said}).")
    return GeminiFault("request", f"Gemini refused the request ({said}).")


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
    """Send the prompt, the scan and the overlay to Gemini and return its answer's text.

    ``base_url`` points the SDK elsewhere (a proxy, a test stub); ``timeout_s`` bounds all
    requests together, the waits between them excluded. Raises :class:`GeminiFault`.
    """
    api_key = api_key.strip() if api_key else None
    if not api_key:
        raise GeminiFault(
            "no_key",
            "No Gemini API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or add it to the "
            "app's secrets.",
        )
    problem = key_problem(api_key)
    if problem:  # the HTTP library would fail on it as a network fault, logging it
        raise GeminiFault(
            "invalid_key",
            f"The Gemini API key (GEMINI_API_KEY, GOOGLE_API_KEY or the app's secret) "
            f"contains {problem}; copy the key again without it.",
        )
    retry = retry or RetryPolicy()
    contents = [  # in the order the prompt announces
        prompt,
        types.Part.from_bytes(data=scan_png, mime_type="image/png"),
        types.Part.from_bytes(data=overlay_png, mime_type="image/png"),
    ]
    # The SDK's timeout bounds each network read; a server that trickles bytes could
    # outlast it. Waiting for a worker thread puts one hard bound on each request.
    worker = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    hidden = LOG_REDACTOR.hide([api_key])  # until the worker's last request has ended
    deadline, waited = time.monotonic() + timeout_s, 0.0
    try:
        # vertexai=False: the key is a Gemini API key, whatever GOOGLE_GENAI_USE_VERTEXAI says
        with genai.Client(
            vertexai=False, api_key=api_key, http_options=types.HttpOptions(base_url=base_url)
        ) as client:
            for attempt in itertools.count(1):
                remaining = deadline - time.monotonic()
                config = types.GenerateContentConfig(
                    response_mime_type="application/json",
                    response_schema=ANSWER_SCHEMA,
                    automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
                    http_options=types.HttpOptions(timeout=max(1, round(remaining * 1000))),
                )
                request = worker.submit(
                    client.models.generate_content, model=model, contents=contents, config=config
                )
                try:
                    return answer_text(request.result(timeout=remaining))
                except errors.APIError as error:
                    fault = fault_from_api_error(error, model, api_key, base_url)
                    asked = asked_delay_s(error)
                    delay = retry.first_delay_s * 2 ** (attempt - 1) if asked is None else asked
                    if fault.kind not in ("quota", "server"):
                        raise fault from None
                    if attempt >= retry.attempts or waited + delay > retry.max_total_delay_s:
                        too_long = "" if asked is None else f" Gemini asked to wait {asked:g} s."
                        tries = f" Tried {attempt} times." if attempt > 1 else ""
                        raise GeminiFault(
                            fault.kind, f"{fault}{too_long}{tries}", retry_after_s=asked
                        ) from None
                    logger.info("Gemini answered %s; retrying in %.1f s", fault.kind, delay)
                    sleep(delay)
                    waited += delay
                    deadline += delay  # the waits are bounded apart from the timeout
    except GeminiFault as fault:  # its message once more without the secrets, whatever made it
        message = redact(str(fault), api_key, base_url)
        raise GeminiFault(fault.kind, message, retry_after_s=fault.retry_after_s) from None
    except (concurrent.futures.TimeoutError, httpx2.TimeoutException):
        raise GeminiFault("timeout", f"Gemini did not answer within {timeout_s:g} s.") from None
    except httpx2.TransportError as error:  # refused, reset, unreachable
        where = scrub(redact_url(base_url), api_key, base_url) if base_url else "Google's API"
        raise GeminiFault(
            "network", f"Could not reach Gemini at {where} ({type(error).__name__})."
        ) from None
    except Exception as error:  # e.g. an unreadable response
        raise GeminiFault(
            "unexpected",
            f"The Gemini call failed unexpectedly ({type(error).__name__}: "
            f"{scrub(str(error), api_key, base_url)}).",
        ) from None
    finally:
        worker.submit(LOG_REDACTOR.forget, hidden)  # runs after the last request ends
        worker.shutdown(wait=False)
