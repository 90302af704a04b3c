"""Explain a prediction in plain words: Gemini when it can, the offline explainer otherwise.

One idea a module, in the order of lesson 08: :mod:`.prompt` (the measured facts and the
grounded prompt, exercise 8.1), :mod:`.client` (the Gemini call and its faults),
:mod:`.parse` (the answer, checked, exercise 8.2) and :mod:`.offline` (the explanation
shown, and the one written from the facts alone).

:func:`explain` never raises for a fault of Gemini's (no key, a refused key, a quota, a
server error, a timeout, a blocked or malformed answer): it returns the offline
explanation with a notice saying why. :mod:`mri_course.testing.gemini_server` plays them.
Given a :class:`GeminiBackoff` (:mod:`.backoff`), it does not ask a Gemini that failed a
moment ago again until the back-off is over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from mri_course.config import Settings, load_settings
from mri_course.explain.backoff import GeminiBackoff, gemini_setup
from mri_course.explain.client import GeminiFault, RetryPolicy, ask_gemini, scrub
from mri_course.explain.offline import OFFLINE_HEADING, Explanation, offline_explanation
from mri_course.explain.parse import AnswerError, GeminiAnswer, parse_answer, salvage_answer
from mri_course.explain.prompt import (
    FactsError,
    PredictionFacts,
    build_prompt,
    caution_lines,
    uncertainty_lines,
)
from mri_course.explain.redaction import redact

__all__ = [
    "OFFLINE_HEADING",
    "AnswerError",
    "Explanation",
    "FactsError",
    "GeminiBackoff",
    "GeminiFault",
    "PredictionFacts",
    "RetryPolicy",
    "build_prompt",
    "explain",
    "offline_explanation",
    "parse_answer",
]

logger = logging.getLogger(__name__)

# Faults that may be gone at the next try; a missing or refused key, a retired model or a
# blocked answer will not change by asking again
PASSING_FAULTS = frozenset({"quota", "server", "timeout", "network", "unexpected"})


def without_secret(answer: GeminiAnswer, key: str | None, url: str | None = None) -> GeminiAnswer:
    """``answer`` with the API key and the base URL's login details, should a proxy or the
    model echo them, blanked out."""
    return GeminiAnswer(
        redact(answer.summary, key, url),
        redact(answer.regions, key, url),
        tuple(redact(caveat, key, url) for caveat in answer.caveats),
    )


def explain(
    facts: PredictionFacts,
    scan_png: bytes,
    overlay_png: bytes,
    settings: Settings | None = None,
    *,
    api_key: str | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    backoff: GeminiBackoff | None = None,
) -> Explanation:
    """Explain one prediction with Gemini, or offline when Gemini cannot answer, within the
    timeout plus the retries' total wait.

    Sends the scan and the overlay (PNG bytes) with the grounded prompt, with the settings'
    model, base URL, timeout and key (``api_key``, from the app's secrets, overrides it).
    ``backoff``, shared between calls (the app's reruns), skips Gemini for a short while
    after a quota, server, timeout or network fault; without it every call asks.
    Only images that are not PNG bytes raise: a bug in the caller, not a fault of Gemini's.
    """
    for name, data in (("scan_png", scan_png), ("overlay_png", overlay_png)):
        if not isinstance(data, bytes | bytearray):
            raise TypeError(f"{name} must be PNG bytes, not {type(data).__name__}")
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError(
                f"{name} is not a PNG image: encode it first, e.g. with "
                "PIL.Image.fromarray(array).save(buffer, format='PNG')"
            )
    settings = settings or load_settings()
    key = (api_key or settings.gemini_api_key or "").strip() or None
    url = settings.gemini_base_url
    setup = gemini_setup(settings.gemini_model, url, key) if backoff and key else None
    if backoff and setup:
        waiting = backoff.waiting(setup)
        if waiting:
            logger.info("Gemini not asked: %s", waiting)
            return replace(offline_explanation(facts, notice=waiting), retry_later=True)
    try:
        text = ask_gemini(
            build_prompt(facts) + uncertainty_lines(facts) + caution_lines(facts),
            bytes(scan_png),
            bytes(overlay_png),
            api_key=key,
            model=settings.gemini_model,
            base_url=settings.gemini_base_url,
            timeout_s=settings.gemini_timeout_s,
            retry=retry,
            sleep=sleep,
        )
        answer = parse_answer(text)
    except GeminiFault as fault:
        if fault.kind != "no_key":
            logger.warning("Gemini explanation not used (%s): %s", fault.kind, fault)
        if backoff and setup:
            timeout_s = settings.gemini_timeout_s
            backoff.failed(setup, fault.kind, fault.retry_after_s, timeout_s=timeout_s)
        fallback = offline_explanation(facts, notice=str(fault))
        return replace(fallback, retry_later=fault.kind in PASSING_FAULTS)
    except AnswerError as error:
        if backoff and setup:  # Gemini answered: it is up
            backoff.succeeded(setup)
        salvaged = salvage_answer(text)
        if salvaged is None:
            notice = scrub(f"Gemini's answer did not have the expected shape: {error}.", key, url)
            logger.warning("Gemini explanation not used: %s", notice)
            return offline_explanation(facts, notice=notice)
        answer, note = salvaged
        note = scrub(note, key, url)
        answer = without_secret(answer, key, url)
        logger.info("Gemini's answer used in part: %s", note)
        caveats = (*facts.cautions, *(c for c in answer.caveats if c not in facts.cautions))
        return Explanation(
            answer.summary, answer.regions, caveats, "gemini", settings.gemini_model, note
        )
    if backoff and setup:
        backoff.succeeded(setup)
    answer = without_secret(answer, key, url)
    # The course's measured cautions lead the caveats in its own words, as the
    # not-a-diagnosis caveat ends them: neither depends on Gemini passing it on.
    caveats = (*facts.cautions, *(c for c in answer.caveats if c not in facts.cautions))
    return Explanation(answer.summary, answer.regions, caveats, "gemini", settings.gemini_model)
