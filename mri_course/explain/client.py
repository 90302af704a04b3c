"""Ask Gemini about a scan in bounded time, and turn every failure into a clear fault.

An app must not hang on a slow service nor crash on a refused one. :func:`ask_gemini` sends
the prompt and both images with the ``google-genai`` SDK, retries a 429 (quota) or a 5xx
answer with exponential backoff, and raises :class:`GeminiFault` for everything else, with a
message a learner can act on. The retries are our own, not the SDK's: those ignore the wait
the server asks for, have no bound on the total wait, and cannot be tested without waiting.
The API key travels in a header only; no message, exception or log record carries it, nor
the base URL's login (:mod:`.redaction`).
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
from mri_course.explain.redaction import LOG_REDACTOR, redact, scrub

logger = logging.getLogger(__name__)

BLOCKING_FINISH_REASONS = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)
# Faults that may be gone at the next try; a missing or refused key, a retired model or a
# blocked answer will not change by asking again.
PASSING_FAULTS = frozenset({"quota", "server", "timeout", "network", "unexpected"})


class GeminiFault(Exception):
    """Gemini gave no usable answer, for the reason ``kind`` names: ``no_key``,
    ``invalid_key``, ``model`` (no such model), ``quota`` and ``server`` (429 and 5xx, still
    after the retries), ``timeout``, ``network``, ``blocked``, ``empty``, ``request`` (another
    refusal) or ``unexpected``. ``retry_after_s``: the wait Gemini asked for, if it did."""

    def __init__(self, kind: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.kind, self.retry_after_s = kind, retry_after_s


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a 429 or a 5xx answer: the waits double from
    ``first_delay_s``, or follow the server's ``Retry-After``, and never pass
    ``max_total_delay_s`` together, so a call takes at most its timeout plus this."""

    attempts: int = 3  # including the first
    first_delay_s: float = 1.0
    max_total_delay_s: float = 8.0


def answer_text(response: types.GenerateContentResponse) -> str:
    """The text of a response, or a fault saying why there is none."""
    if not response.candidates:
        feedback = response.prompt_feedback
        if feedback and feedback.block_reason:
            reason = getattr(feedback.block_reason, "value", feedback.block_reason)  # an enum
            raise GeminiFault("blocked", f"Gemini declined to answer (blocked: {reason}).")
        raise GeminiFault("empty", "Gemini returned no answer at all.")
    if response.text and response.text.strip():
        return response.text
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
    error: errors.APIError, model: str, api_key: str, base_url: str | None
) -> GeminiFault:
    """Name what an error answer of the API means, quoting it without the secrets."""
    code, asked = error.code, asked_delay_s(error)
    what = scrub(f"{code} {error.status or ''}".strip(), api_key, base_url)
    said = f"{what}: {scrub(str(error.message or ''), api_key, base_url).rstrip('.')}"
    if code in (401, 403) or (code == 400 and "api key" in said.lower()):
        key_help = "Check GEMINI_API_KEY (or GOOGLE_API_KEY, or the app's secrets)"
        return GeminiFault("invalid_key", f"Gemini refused the API key ({what}). {key_help}.")
    if code == 404:
        retired = "it may be retired. Set MRI_COURSE_GEMINI_MODEL to a current model."
        return GeminiFault("model", f"Gemini has no model {model!r} ({what}): {retired}")
    if code == 429:
        wait = "Wait a minute, or check the key's plan."
        return GeminiFault("quota", f"Gemini's quota is used up for now ({said}). {wait}", asked)
    if code >= 500 or code == 408:
        return GeminiFault("server", f"Gemini had a server error ({said}).", asked)
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

    ``base_url`` points the SDK elsewhere (a proxy, a test stub); ``timeout_s`` bounds the
    requests together, the waits between them excluded. Raises :class:`GeminiFault`.
    """
    api_key = (api_key or "").strip()
    if not api_key:
        raise GeminiFault(
            "no_key",
            "No Gemini API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or add it to the "
            "app's secrets.",
        )
    problem = key_problem(api_key)
    if problem:  # the HTTP library would fail on it as a network fault, and log it
        raise GeminiFault(
            "invalid_key",
            f"The Gemini API key (GEMINI_API_KEY, GOOGLE_API_KEY or the app's secret) "
            f"contains {problem}; copy the key again without it.",
        )
    retry = retry or RetryPolicy()
    images = [
        types.Part.from_bytes(data=png, mime_type="image/png") for png in (scan_png, overlay_png)
    ]
    # The SDK's timeout bounds each network read, and a server that trickles bytes could
    # outlast it: waiting for a worker thread puts one hard bound on each request.
    worker = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    LOG_REDACTOR.hide(api_key)
    deadline, waited = time.monotonic() + timeout_s, 0.0
    try:
        # vertexai=False: a Gemini API key, whatever GOOGLE_GENAI_USE_VERTEXAI says
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
                    client.models.generate_content,
                    model=model,
                    contents=[prompt, *images],  # in the order the prompt announces
                    config=config,
                )
                try:
                    return answer_text(request.result(timeout=remaining))
                except errors.APIError as error:
                    fault = fault_from_api_error(error, model, api_key, base_url)
                asked = fault.retry_after_s
                delay = retry.first_delay_s * 2 ** (attempt - 1) if asked is None else asked
                if fault.kind not in ("quota", "server"):
                    raise fault
                if attempt >= retry.attempts or waited + delay > retry.max_total_delay_s:
                    said = "" if asked is None else f" Gemini asked to wait {asked:g} s."
                    tries = f" Tried {attempt} times." if attempt > 1 else ""
                    raise GeminiFault(fault.kind, f"{fault}{said}{tries}", asked)
                logger.info("Gemini answered %s; retrying in %.1f s", fault.kind, delay)
                sleep(delay)
                waited += delay
                deadline += delay  # the waits are bounded apart from the timeout
    except GeminiFault as raised:
        fault = raised
    except (concurrent.futures.TimeoutError, httpx2.TimeoutException):
        fault = GeminiFault("timeout", f"Gemini did not answer within {timeout_s:g} s.")
    except httpx2.TransportError as error:  # refused, reset, unreachable
        where = redact_url(base_url) if base_url else "Google's API"
        fault = GeminiFault(
            "network", f"Could not reach Gemini at {where} ({type(error).__name__})."
        )
    except Exception as error:  # e.g. an unreadable response
        said = f"{type(error).__name__}: {scrub(str(error), api_key, base_url)}"
        fault = GeminiFault("unexpected", f"The Gemini call failed unexpectedly ({said}).")
    finally:
        worker.shutdown(wait=False)  # a request that outlived the timeout ends on its own
    # Raised here, outside the handlers, the SDK's error is no context to show in a traceback;
    # and the message goes once more through the redaction, whatever wrote it.
    raise GeminiFault(fault.kind, redact(str(fault), api_key, base_url), fault.retry_after_s)
