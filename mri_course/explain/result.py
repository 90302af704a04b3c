"""What an explanation hands to the app: the text, where it came from, and why.

The app shows the same three parts whether Gemini wrote them or the offline explainer did;
``source`` and ``heading`` say which, so an offline text is never mistaken for Gemini's, and
``notice`` says why Gemini was not used.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCES: tuple[str, ...] = ("gemini", "offline")
OFFLINE_HEADING = "Offline explanation, not from Gemini"


@dataclass(frozen=True)
class Explanation:
    """An explanation of one prediction, ready to show."""

    summary: str
    regions: str  # what the highlighted regions suggest
    caveats: tuple[str, ...]
    source: str  # "gemini" or "offline"
    gemini_model: str | None = None  # the Gemini model that wrote it (None when offline)
    notice: str | None = None  # why the offline explanation is shown, when Gemini failed
    # True when Gemini failed for a passing reason (quota, server error, timeout, network):
    # asking again later may well succeed, so this fallback is not worth keeping.
    retry_later: bool = False

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {self.source!r}")

    @property
    def heading(self) -> str:
        if self.source == "gemini":
            return f"Explanation by Gemini ({self.gemini_model})"
        return OFFLINE_HEADING

    def to_markdown(self) -> str:
        """The explanation as Markdown, for the app and for notebooks."""
        parts = [f"**{self.heading}**"]
        if self.notice:
            parts.append(f"_{self.notice}_")
        parts += [self.summary, f"**Where the model looked.** {self.regions}"]
        parts.append("**Caveats**\n" + "\n".join(f"- {caveat}" for caveat in self.caveats))
        return "\n\n".join(parts)

    def to_text(self) -> str:
        """The explanation as plain text, for a terminal."""
        lines = [self.heading.upper()]
        if self.notice:
            lines.append(f"({self.notice})")
        lines += ["", self.summary, "", f"Where the model looked: {self.regions}", "", "Caveats:"]
        lines += [f"- {caveat}" for caveat in self.caveats]
        return "\n".join(lines)
