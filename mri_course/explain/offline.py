"""The explanation shown, and the one written from the measured facts alone.

:class:`Explanation` has the same parts whether Gemini or :func:`offline_explanation` wrote
it. The offline text, the fallback when Gemini cannot answer, restates the facts, textbook
knowledge of where each tumour grows, and what a map cannot tell; it never claims to see
the image.
"""

from __future__ import annotations

from dataclasses import dataclass

from mri_course.evaluation.uncertainty import set_in_words
from mri_course.explain.client import PASSING_FAULTS
from mri_course.explain.parse import NOT_A_DIAGNOSIS
from mri_course.explain.prompt import PredictionFacts, percent
from mri_course.saliency.names import METHODS

OFFLINE_HEADING = "Offline explanation, not from Gemini"
CLASS_LABELS: dict[str, str] = {  # each class in a sentence
    "glioma": "glioma",
    "meningioma": "meningioma",
    "notumor": "no tumour",
    "pituitary": "pituitary tumour",
}
WHERE_TO_LOOK: dict[str, str] = {  # where each class's lesion is expected, to judge the map
    "glioma": (
        "Gliomas grow inside the brain tissue, often with an irregular edge: the colours "
        "should sit on such a mass if the model relies on the lesion."
    ),
    "meningioma": (
        "Meningiomas arise from the meninges, the membranes around the brain, so they sit at "
        "its surface: against the skull, along the falx between the two hemispheres, or at "
        "the skull base. The colours should sit on a rounded mass at one of those surfaces."
    ),
    "pituitary": (
        "Pituitary tumours sit low in the middle of the head, at the base of the brain: the "
        "colours should sit there."
    ),
    "notumor": (
        "With no tumour predicted, the colours show what the model checked before ruling a "
        "tumour out, not a lesion."
    ),
}
TORN_MARGIN = 0.2  # the top two classes this close: the model is torn between them
SURE_CONFIDENCE = 0.9
CONCENTRATED_SHARE = 0.5  # one region holding this much of the mass: a focused map


@dataclass(frozen=True)
class Explanation:
    """An explanation of one prediction, ready to show."""

    summary: str
    regions: str  # what the highlighted regions suggest
    caveats: tuple[str, ...]
    source: str  # "gemini" or "offline"
    gemini_model: str | None = None  # the Gemini model that wrote it (None when offline)
    notice: str | None = None  # why the offline explanation is shown, or what Gemini got wrong
    fault: str | None = None  # the GeminiFault kind when Gemini failed ("quota", ...)
    retry_after_s: float | None = None  # the wait Gemini asked for, if it did

    def __post_init__(self) -> None:
        if self.source not in ("gemini", "offline"):
            raise ValueError(f"source must be 'gemini' or 'offline', not {self.source!r}")

    @property
    def retry_later(self) -> bool:
        """Gemini failed for a passing reason: asking again later may well succeed, so this
        fallback is not worth keeping."""
        return self.fault in PASSING_FAULTS

    @property
    def heading(self) -> str:
        if self.source == "gemini":
            return f"Explanation by Gemini ({self.gemini_model})"
        return OFFLINE_HEADING

    def to_markdown(self) -> str:
        """The explanation as Markdown, for the app and notebooks. The notice is escaped: it
        may quote other programs (a proxy's error, a redacted ``http://***@host``)."""
        escaped = "".join("\\" + c if c in "\\`*_[]<>$~|#" else c for c in self.notice or "")
        notice = [f"_{escaped}_"] if self.notice else []
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


def _certainty(facts: PredictionFacts) -> str:
    if facts.margin < TORN_MARGIN:
        return (
            f"The model is torn between {CLASS_LABELS[facts.predicted_class]} and "
            f"{CLASS_LABELS[facts.runner_up]}: treat this prediction as uncertain."
        )
    if facts.confidence >= SURE_CONFIDENCE:
        return "The model is confident; confidence is not proof, but it has little doubt."
    return "The model leans clearly one way but is not sure."


def _summary(facts: PredictionFacts) -> str:
    summary = (
        f"The classifier {facts.model_name} predicts {CLASS_LABELS[facts.predicted_class]} "
        f"with {percent(facts.confidence)} confidence; the runner-up is "
        f"{CLASS_LABELS[facts.runner_up]} at {percent(facts.runner_up_probability)}. "
        + _certainty(facts)
    )
    if facts.calibrated_confidence is None:
        return summary
    return (
        f"{summary} Calibrated on the validation scans, its confidence is "
        f"{percent(facts.calibrated_confidence)}, and its 95% prediction set is "
        f"{set_in_words(facts.prediction_set)}."
    )


def _regions(facts: PredictionFacts) -> str:
    summary = facts.region_summary
    peak = summary.peak_region
    where = "there too" if peak == facts.dominant_region else f"in the {peak} of the image"
    title = METHODS[facts.method].title
    return " ".join(
        [
            f"{title[0].upper()}{title[1:]} puts the largest share of the attention, "
            f"{percent(facts.dominant_share)}, in the {facts.dominant_region} of the image; "
            f"its strongest spot is {where}.",
            "The attention is concentrated in that region."
            if facts.dominant_share >= CONCENTRATED_SHARE
            else "The attention is spread over several regions.",
            f"{percent(summary.brain_area_above_threshold)} of the brain is coloured (above "
            f"the {summary.threshold_percentile:.0f}th percentile).",
            WHERE_TO_LOOK[facts.predicted_class],
            "If the strongest colours fall on the skull, the background or the image border "
            "instead, the model may be using something other than the anatomy.",
            f"Colours: {facts.colour_legend}.",
        ]
    )


def offline_explanation(facts: PredictionFacts, notice: str | None = None) -> Explanation:
    """Explain a prediction from its facts alone; ``notice`` says why Gemini was not used."""
    caveats = [
        *facts.cautions,
        METHODS[facts.method].caveat,
        "A saliency map shows where the model looked, not why, and not whether it is right.",
    ]
    if facts.margin < TORN_MARGIN:
        caveats.append("The runner-up is close: a small change in the scan could flip the answer.")
    caveats.append(NOT_A_DIAGNOSIS)
    return Explanation(_summary(facts), _regions(facts), tuple(caveats), "offline", notice=notice)
