"""The measured facts, and the grounded prompt: every claim Gemini may make rests on them.

The original project told Gemini only the predicted class and a confidence, and to look at
"light cyan" areas of a jet colour map whose strongest areas are red: a model asked to find
what is not there describes it anyway. Here the prompt carries the measured facts, the
overlay's real colour legend, the image orientation and the shape of the answer. The facts
are checked once, where they are made, so a slip (logits for probabilities, say) fails with
a clear message instead of turning into a confident paragraph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mri_course.data.release import CLASS_NAMES
from mri_course.evaluation.uncertainty import set_in_words
from mri_course.saliency.names import METHODS
from mri_course.saliency.summary import RegionSummary


class FactsError(ValueError):
    """The facts given to an explanation are unusable; the message says which and why."""


@dataclass(frozen=True)
class PredictionFacts:
    """What the classifier predicted for one scan and where its saliency map points; made
    by :meth:`from_prediction`, which checks every input."""

    predicted_class: str
    confidence: float  # the predicted class's probability, 0..1
    runner_up: str
    runner_up_probability: float
    probabilities: dict[str, float]  # every class, in CLASS_NAMES order
    model_name: str  # the classifier, e.g. "cnn_cpu"
    region_summary: RegionSummary
    colour_legend: str  # what the overlay's colours mean, as drawn
    # Where the measured evidence says to trust this prediction less (the plane, fragility;
    # mri_course.audit.caution), in sentences the explanation must repeat.
    cautions: tuple[str, ...] = ()
    # The 95% conformal prediction set and the calibrated confidence of the predicted class
    # (mri_course.evaluation.uncertainty); empty / None when the model has no calibration.
    prediction_set: tuple[str, ...] = ()
    calibrated_confidence: float | None = None

    @property
    def method(self) -> str:
        return self.region_summary.method

    @property
    def dominant_region(self) -> str:
        return self.region_summary.dominant_region

    @property
    def dominant_share(self) -> float:
        return self.region_summary.mass_by_region[self.dominant_region]

    @property
    def margin(self) -> float:
        """How far the prediction is ahead of the runner-up, 0..1: small means torn."""
        return self.confidence - self.runner_up_probability

    @classmethod
    def from_prediction(
        cls,
        probabilities: Sequence[float] | np.ndarray,
        class_names: Sequence[str],
        region_summary: RegionSummary,
        colour_legend: str,
        model_name: str,
        cautions: Sequence[str] = (),
        prediction_set: Sequence[str] = (),
        calibrated_confidence: float | None = None,
    ) -> PredictionFacts:
        """Check one scan's softmax output (``model.predict(x)[0]``, in the order of
        ``class_names``) and gather it with the map's region summary, the overlay's colour
        legend and the classifier's name. A :class:`FactsError` names what to pass instead.
        """
        names, values = list(class_names), np.asarray(probabilities, dtype=np.float64)
        if sorted(names) != sorted(CLASS_NAMES):
            raise FactsError(
                f"class_names {names} are not the course's four classes {list(CLASS_NAMES)} "
                "(each once); pass mri_course.data.release.CLASS_NAMES."
            )
        if values.shape != (len(CLASS_NAMES),):
            raise FactsError(
                f"probabilities have shape {values.shape}; pass one scan's "
                f"{len(CLASS_NAMES)} probabilities, e.g. model.predict(batch)[0]."
            )
        if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1:
            raise FactsError(
                f"probabilities {values.round(4).tolist()} are not all between 0 and 1: pass "
                "the softmax output, not logits."
            )
        if abs(values.sum() - 1.0) > 1e-3:  # a float32 softmax sums to 1 far closer
            raise FactsError(
                f"probabilities sum to {values.sum():.4f}, not 1: pass the softmax output of "
                "one scan, not logits or a slice of it."
            )
        if not isinstance(region_summary, RegionSummary):
            raise FactsError(
                f"region_summary is a {type(region_summary).__name__}; pass the saliency "
                "module's RegionSummary (mri_course.saliency.summary.region_summary(map))."
            )
        if not isinstance(colour_legend, str) or not colour_legend.strip():
            raise FactsError(
                "colour_legend is empty: pass the legend of the overlay as drawn, e.g. "
                '"dark red = strongest attention, ..., blue = weakest".'
            )
        unknown = [name for name in prediction_set if name not in CLASS_NAMES]
        if unknown:
            raise FactsError(
                f"the prediction set names {unknown}, not classes of the course; pass class "
                f"names from {list(CLASS_NAMES)}."
            )
        if calibrated_confidence is not None and not 0 <= calibrated_confidence <= 1:
            raise FactsError(
                f"calibrated_confidence {calibrated_confidence} is not between 0 and 1: pass "
                "the temperature-scaled probability of the predicted class."
            )
        given = dict(zip(names, values.tolist(), strict=True))
        by_class = {name: given[name] for name in CLASS_NAMES}
        first, second = sorted(by_class, key=by_class.__getitem__, reverse=True)[:2]
        return cls(
            predicted_class=first,
            confidence=by_class[first],
            runner_up=second,
            runner_up_probability=by_class[second],
            probabilities=by_class,
            model_name=model_name,
            region_summary=region_summary,
            colour_legend=colour_legend.strip(),
            cautions=tuple(cautions),
            prediction_set=tuple(prediction_set),
            calibrated_confidence=calibrated_confidence,
        )


def percent(share: float) -> str:
    """A share 0..1 as a percentage with one decimal: ``0.9712`` -> ``"97.1%"``. A reader
    takes "100.0%" for certainty, which a softmax never has: a share short of 1 reads
    ">99.9%", one above 0 "<0.1%"."""
    if 0.9995 <= share < 1:
        return ">99.9%"
    if 0 < share < 0.0005:
        return "<0.1%"
    return f"{100 * share:.1f}%"


def build_prompt(facts: PredictionFacts) -> str:
    """The text sent to Gemini with the scan and the saliency overlay.

    A grounded prompt hands the model the measured facts instead of asking it to guess
    them from the pictures, names the colours as the overlay really draws them, and asks
    for an answer the code can check. It must:

    * say that two images follow: first the MRI scan, then the same scan with the saliency
      overlay, and give the overlay's colour legend word for word (``facts.colour_legend``);
      never name a colour the legend does not use (the original prompt's "light cyan");
    * give the prediction and its confidence, the runner-up and its probability, and every
      class's probability, as percentages with one decimal (``percent``);
    * give the saliency method, the share of the saliency mass in each region (the
      dominant region first), the peak region, and the share of the brain above the
      threshold percentile;
    * say that regions are in image coordinates: the answer must say "image left" or
      "image right", never the patient's side (radiological images show the patient's
      right on the image's left);
    * ask for JSON with the fields ``"summary"``, ``"regions"`` and ``"caveats"``, one
      caveat stating that this is not a diagnosis.

    Hints:
        - Build a list of lines and return `"\\n".join(lines)`; f-strings make each line.
        - `percent(facts.confidence)` gives `"97.1%"`; do the same for the runner-up, for
          each value of `facts.probabilities` and of `facts.region_summary.mass_by_region`.
        - Paste `facts.colour_legend` as it is; never write a colour of your own.
        - End with the answer's shape: JSON with `"summary"`, `"regions"` and `"caveats"`,
          one caveat saying this is not a diagnosis.
    """
    summary = facts.region_summary
    by_share = sorted(summary.mass_by_region.items(), key=lambda item: item[1], reverse=True)
    regions = ", ".join(f"{region} {percent(share)}" for region, share in by_share)
    classes = ", ".join(f"{name} {percent(p)}" for name, p in facts.probabilities.items())
    return "\n".join(
        [
            "You help a learner understand why an image classifier made its prediction on a "
            "brain MRI scan. The classifier is a teaching model; you are not diagnosing anyone.",
            "",
            "Two images follow: first the MRI scan, then the same scan with the classifier's "
            f"saliency overlay ({METHODS[facts.method].title}), which colours where the "
            "classifier looked.",
            f"Overlay colours: {facts.colour_legend}.",
            "Name colours only as this legend does.",
            "",
            "Measured facts (use these numbers; do not estimate others from the images):",
            f"- classifier: {facts.model_name}",
            f"- prediction: {facts.predicted_class}, {percent(facts.confidence)} confidence",
            f"- runner-up: {facts.runner_up}, {percent(facts.runner_up_probability)}",
            f"- every class: {classes}",
            f"- share of the saliency by region: {regions}",
            f"- strongest single spot: {summary.peak_region}",
            f"- {percent(summary.brain_area_above_threshold)} of the brain is coloured "
            f"(above the {summary.threshold_percentile:.0f}th percentile of the saliency)",
            "",
            "Regions are in image coordinates. Say 'image left' or 'image right', never the "
            "patient's left or right: radiological images show the patient's right on the "
            "image's left.",
            "",
            "Answer in JSON with three fields, in plain words for a learner:",
            '- "summary": at most 3 sentences: the prediction, how sure the classifier was, '
            "and the runner-up.",
            '- "regions": at most 4 sentences: what the highlighted regions suggest the '
            "classifier relied on, and whether they fall on the brain or outside it.",
            '- "caveats": a list of short caveats. One must say that this is not a diagnosis '
            "and that only a radiologist reading the scan can say what it shows.",
        ]
    )


def measured_lines(facts: PredictionFacts) -> str:
    """What :func:`mri_course.explain.explain` adds to the prompt: the calibrated uncertainty
    and the measured cautions, which Gemini must pass on, not weigh ("" when there are none)."""
    lines = []
    if facts.calibrated_confidence is not None:
        lines += [
            "",
            "Calibrated uncertainty the course measured (mention both in the summary):",
            f"- confidence after calibration: {percent(facts.calibrated_confidence)}",
            f"- 95% prediction set: {set_in_words(facts.prediction_set)} (a set that holds "
            "the true class 95 times in 100 for scans like the course's test scans)",
        ]
    if facts.cautions:
        lines += [
            "",
            "Cautions the course measured for this scan (repeat each one, in your own words, "
            "among the caveats, before the one about the diagnosis):",
            *(f"- {caution}" for caution in facts.cautions),
        ]
    return "\n".join(lines)
