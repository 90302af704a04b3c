"""Explain a prediction in plain words: Gemini when it can, the offline explainer otherwise.

In the order of lesson 08: :mod:`.prompt` (the facts and the grounded prompt, exercise 8.1),
:mod:`.client` (the Gemini call and its faults; :mod:`.redaction` keeps the key out of
them), :mod:`.parse` (the answer, checked, exercise 8.2) and :mod:`.offline` (the
explanation shown, and the one written from the facts alone). Every fault of Gemini's ends
in the offline explanation with a notice saying why; :mod:`mri_course.testing.gemini_server`
plays them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from mri_course.config import Settings, load_settings
from mri_course.explain.client import GeminiFault, RetryPolicy, ask_gemini
from mri_course.explain.offline import OFFLINE_HEADING, Explanation, offline_explanation
from mri_course.explain.parse import AnswerError, parse_answer, salvage_answer
from mri_course.explain.prompt import FactsError, PredictionFacts, build_prompt, measured_lines
from mri_course.explain.redaction import redact, scrub

__all__ = [
    "OFFLINE_HEADING",
    "AnswerError",
    "Explanation",
    "FactsError",
    "GeminiFault",
    "PredictionFacts",
    "RetryPolicy",
    "build_prompt",
    "explain",
    "offline_explanation",
    "parse_answer",
]

logger = logging.getLogger(__name__)


def explain(
    facts: PredictionFacts,
    scan_png: bytes,
    overlay_png: bytes,
    settings: Settings | None = None,
    *,
    api_key: str | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Explanation:
    """Explain one prediction with Gemini (the scan and the overlay as PNG bytes, with the
    grounded prompt and the settings; ``api_key`` overrides theirs), or offline when Gemini
    cannot answer within the timeout plus the retries' waits. Only images that are not PNG
    bytes raise: a bug in the caller, not a fault of Gemini's."""
    for name, data in (("scan_png", scan_png), ("overlay_png", overlay_png)):
        if not isinstance(data, bytes | bytearray):
            raise TypeError(f"{name} must be PNG bytes, not {type(data).__name__}")
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError(
                f"{name} is not a PNG image: encode it first, e.g. with "
                "PIL.Image.fromarray(array).save(buffer, format='PNG')"
            )
    settings = settings or load_settings()
    key, url = (api_key or settings.gemini_api_key or "").strip(), settings.gemini_base_url
    try:
        text = ask_gemini(
            build_prompt(facts) + measured_lines(facts),
            bytes(scan_png),
            bytes(overlay_png),
            api_key=key,
            model=settings.gemini_model,
            base_url=url,
            timeout_s=settings.gemini_timeout_s,
            retry=retry,
            sleep=sleep,
        )
    except GeminiFault as fault:
        if fault.kind != "no_key":
            logger.warning("Gemini explanation not used (%s): %s", fault.kind, fault)
        fallback = offline_explanation(facts, notice=str(fault))
        return replace(fallback, fault=fault.kind, retry_after_s=fault.retry_after_s)
    note = None
    try:
        answer = parse_answer(text)
    except AnswerError as error:
        salvaged = salvage_answer(text)
        if salvaged is None:
            notice = scrub(f"Gemini's answer did not have the expected shape: {error}.", key, url)
            logger.warning("Gemini explanation not used: %s", notice)
            return offline_explanation(facts, notice=notice)
        answer, note = salvaged
        logger.info("Gemini's answer used in part: %s", note)
    # The course's measured cautions lead the caveats in its own words, as the
    # not-a-diagnosis caveat ends them: neither depends on Gemini passing it on. Should a
    # proxy or the model echo the key or the URL's login, they are blanked out.
    caveats = (*facts.cautions, *(c for c in answer.caveats if c not in facts.cautions))
    summary, regions, *caveats = (
        redact(t, key, url) for t in (answer.summary, answer.regions, *caveats)
    )
    return Explanation(summary, regions, tuple(caveats), "gemini", settings.gemini_model, note)
