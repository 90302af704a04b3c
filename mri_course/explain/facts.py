"""The measured facts an explanation is built from, checked once where they are made.

Both the Gemini prompt and the offline explanation read the same :class:`PredictionFacts`,
so neither can say anything the classifier and the saliency map did not measure. The
region summary is the saliency module's own object; the probabilities, the class names and
the legend come from the caller and are checked here, so a slip (logits for
probabilities, say) fails with a clear message instead of turning into a confident
paragraph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mri_course.data.release import CLASS_NAMES
from mri_course.saliency.summary import RegionSummary


class FactsError(ValueError):
    """The facts given to an explanation are unusable; the message says which and why."""


@dataclass(frozen=True)
class PredictionFacts:
    """What the classifier predicted for one scan and where its saliency map points.

    Build it with :meth:`from_prediction`, which checks every input.
    """

    predicted_class: str
    confidence: float  # the predicted class's probability, 0..1
    runner_up: str
    runner_up_probability: float
    probabilities: dict[str, float]  # every class, in CLASS_NAMES order
    model_name: str  # the classifier, e.g. "cnn_cpu"
    region_summary: RegionSummary
    colour_legend: str  # what the overlay's colours mean, as drawn

    @property
    def method(self) -> str:
        return self.region_summary.method

    @property
    def dominant_region(self) -> str:
        return self.region_summary.dominant_region

    @property
    def dominant_share(self) -> float:
        """The share of the saliency mass in the dominant region, 0..1."""
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
    ) -> PredictionFacts:
        """Check one scan's softmax output (``model.predict(x)[0]``, each probability's
        class in ``class_names``) and gather it with the map's region summary, the
        overlay's colour legend and the classifier's name.

        Raises:
            FactsError: naming the input that is wrong and what to pass instead.
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
        if abs(values.sum() - 1.0) > 1e-3:  # a float32 softmax sums to 1 within about 1e-6
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
        )
