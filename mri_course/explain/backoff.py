"""Stop asking a failing Gemini for a short while: a memory of its last fault, to share.

Streamlit runs the whole page again on every click. Without a memory, every click after a
429, a 5xx, a hang or a refused connection asks Gemini again, and while Gemini hangs every
click waits the whole timeout (30 s by default) again. A :class:`GeminiBackoff` remembers,
per Gemini setup, the last fault that waiting may mend; for a short window (60 s, or the
wait Gemini asked for, up to 5 minutes) :func:`mri_course.explain.explain` then goes
straight to the offline explanation, with a notice that says when Gemini will be asked
again. The first answer after the window ends the back-off.

Nothing here is global: the app keeps one object for its whole server process
(``st.cache_resource`` in ``app/loaders.py``, so every rerun and every visitor share it)
and passes it to :func:`explain`; a lesson or a script passes none and asks every time.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from mri_course.config import redact_url

WAITING_MENDS = {  # the faults worth waiting out, in the words of the notice
    "quota": "rate limit or quota",
    "server": "server error",
    "timeout": "no answer within {timeout_s:g} s",
    "network": "could not connect",
}
DEFAULT_WINDOW_S = 60.0
MAX_WINDOW_S = 300.0


def gemini_setup(model: str, base_url: str | None, api_key: str | None) -> str:
    """Which Gemini answers: the model, the address (without its login details) and a hash
    of the address and the key, so that a new key or address is asked at once, and the key
    itself is never kept."""
    digest = hashlib.sha256(f"{base_url or ''}\n{api_key or ''}".encode()).hexdigest()[:16]
    return f"{model} at {redact_url(base_url) if base_url else 'Google'} ({digest})"


@dataclass(frozen=True)
class Fault:
    """The last fault of one setup: what it was, when, and until when to wait."""

    kind: str
    reason: str  # in the notice's words
    at: float  # the clock's time
    until: float


class GeminiBackoff:
    """The faults of each Gemini setup, for a short window after each; safe to share
    between threads (Streamlit runs each session in its own).

    Args:
        window_s: how long to wait after a fault when Gemini did not say.
        max_window_s: the longest wait, whatever Gemini asked (``Retry-After``).
        clock: a monotonic clock in seconds; tests move a fake one.
    """

    def __init__(
        self,
        window_s: float = DEFAULT_WINDOW_S,
        max_window_s: float = MAX_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(window_s) and window_s > 0 and max_window_s >= window_s):
            raise ValueError(
                f"a back-off window of {window_s} s (at most {max_window_s} s) is no time: "
                "give a positive window_s no greater than max_window_s, e.g. 60 and 300"
            )
        self.window_s, self.max_window_s, self.clock = window_s, max_window_s, clock
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}

    def __repr__(self) -> str:
        return f"<GeminiBackoff {self.window_s:g} s, {len(self._faults)} setups waiting>"

    def waiting(self, setup: str) -> str | None:
        """The notice to show instead of asking Gemini, or None: ask it."""
        with self._lock:
            fault = self._faults.get(setup)
        now = self.clock()
        if fault is None or now >= fault.until:
            return None
        ago, left = int(now - fault.at), math.ceil(fault.until - now)
        return (
            f"Gemini failed {ago} s ago ({fault.reason}); the offline explanation is shown, "
            f"and Gemini will be asked again in {left} s."
        )

    def failed(
        self, setup: str, kind: str, asked_s: float | None = None, timeout_s: float = 0.0
    ) -> None:
        """Remember a fault of ``setup``; one waiting does not mend (a refused key, a
        blocked answer) is not remembered. ``asked_s``: the wait Gemini asked for."""
        if kind not in WAITING_MENDS:
            return
        wait = self.window_s if asked_s is None else min(max(asked_s, 0.0), self.max_window_s)
        now = self.clock()
        reason = WAITING_MENDS[kind].format(timeout_s=timeout_s)
        with self._lock:
            self._faults[setup] = Fault(kind, reason, now, now + wait)

    def succeeded(self, setup: str) -> None:
        """Gemini answered: forget the setup's fault."""
        with self._lock:
            self._faults.pop(setup, None)

    def clear(self) -> None:
        """Forget every fault, e.g. after mending the proxy: the next request asks."""
        with self._lock:
            self._faults.clear()
