"""Stop asking a failing Gemini for a short while: the app's memory of its last fault.

Streamlit runs the whole page again on every click. Without a memory, every click after a
quota, a server error, a hang or a refused connection would ask Gemini again, and wait the
whole timeout again while it hangs. The app keeps one :class:`GeminiBackoff` for its server
process (``st.cache_resource`` in ``app/loaders.py``), shared by every rerun and visitor;
a lesson calls :func:`mri_course.explain.explain` itself and asks every time.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import replace

from mri_course.config import Settings, redact_url
from mri_course.explain import Explanation, PredictionFacts, explain, offline_explanation

WAITING_MENDS = {  # the faults worth waiting out, in the words of the notice
    "quota": "rate limit or quota",
    "server": "server error",
    "timeout": "no answer within {timeout_s:g} s",
    "network": "could not connect",
}


def gemini_setup(model: str, base_url: str | None, api_key: str | None) -> str:
    """Which Gemini answers: the model, the address without its login, and a hash of the
    address and the key, so that a new key or address is a new setup, and the key itself
    is never kept."""
    digest = hashlib.sha256(f"{base_url or ''}\n{api_key or ''}".encode()).hexdigest()[:16]
    return f"{model} at {redact_url(base_url) if base_url else 'Google'} ({digest})"


class GeminiBackoff:
    """Per Gemini setup, the last fault that waiting may mend, for ``window_s`` after it (or
    the wait Gemini asked for, up to ``max_window_s``); Gemini's next answer ends it.
    ``clock``: a monotonic clock in seconds (tests move a fake one)."""

    def __init__(
        self,
        window_s: float = 60.0,
        max_window_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(window_s) and 0 < window_s <= max_window_s):
            raise ValueError(
                f"a back-off window of {window_s} s (at most {max_window_s} s) is no time: "
                "give a positive window_s no greater than max_window_s, e.g. 60 and 300"
            )
        self.window_s, self.max_window_s, self.clock = window_s, max_window_s, clock
        self.faults: dict[str, tuple[str, str, float, float]] = {}  # kind, reason, at, until

    def explain(
        self,
        facts: PredictionFacts,
        scan_png: bytes,
        overlay_png: bytes,
        settings: Settings,
        *,
        api_key: str | None = None,
        **options,
    ) -> Explanation:
        """:func:`mri_course.explain.explain` (``options``: its ``retry`` and ``sleep``),
        unless this Gemini setup failed a moment ago: then the offline explanation at once,
        with a notice that says when Gemini will be asked again."""
        key = api_key or settings.gemini_api_key
        setup = gemini_setup(settings.gemini_model, settings.gemini_base_url, key)
        kind, reason, at, until = self.faults.get(setup, ("", "", 0.0, 0.0))
        now = self.clock()
        if now < until:
            notice = (
                f"Gemini failed {int(now - at)} s ago ({reason}); the offline explanation is "
                f"shown, and Gemini will be asked again in {math.ceil(until - now)} s."
            )
            return replace(offline_explanation(facts, notice), fault=kind)
        result = explain(facts, scan_png, overlay_png, settings, api_key=api_key, **options)
        if result.fault in WAITING_MENDS:
            asked, now = result.retry_after_s, self.clock()
            wait = self.window_s if asked is None else min(max(asked, 0.0), self.max_window_s)
            reason = WAITING_MENDS[result.fault].format(timeout_s=settings.gemini_timeout_s)
            self.faults[setup] = (result.fault, reason, now, now + wait)
        elif result.fault is None:  # Gemini answered
            self.faults.pop(setup, None)
        return result

    def clear(self) -> None:
        """Forget every fault, e.g. after mending the proxy: the next request asks."""
        self.faults.clear()
