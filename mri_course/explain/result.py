"""What an explanation hands to the app: the text, where it came from, and why.

The app shows the same three parts whether Gemini wrote them or the offline explainer did;
``heading`` says which, so an offline text is never mistaken for Gemini's, and ``notice``
says why Gemini was not used.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        if self.source not in ("gemini", "offline"):
            raise ValueError(f"source must be 'gemini' or 'offline', not {self.source!r}")

    @property
    def heading(self) -> str:
        if self.source == "gemini":
            return f"Explanation by Gemini ({self.gemini_model})"
        return OFFLINE_HEADING

    def to_markdown(self) -> str:
        """The explanation as Markdown, for the app and for notebooks."""
        notice = [f"_{self.notice}_"] if self.notice else []
        caveats = "**Caveats**\n" + "\n".join(f"- {caveat}" for caveat in self.caveats)
        regions = f"**Where the model looked.** {self.regions}"
        return "\n\n".join([f"**{self.heading}**", *notice, self.summary, regions, caveats])

    def to_text(self) -> str:
        """The explanation as plain text, for a terminal."""
        notice = [f"({self.notice})"] if self.notice else []
        caveats = [f"- {caveat}" for caveat in self.caveats]
        regions = f"Where the model looked: {self.regions}"
        return "\n".join(
            [self.heading.upper(), *notice, "", self.summary, "", regions, "", "Caveats:", *caveats]
        )
