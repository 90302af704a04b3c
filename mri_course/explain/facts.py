"""The measured facts an explanation is built from, checked once where they are made.

Both the Gemini prompt and the offline explanation read the same :class:`PredictionFacts`,
so neither can say anything the classifier and the saliency map did not measure. The
region summary comes from the saliency module as a plain mapping; it is checked here so a
broken summary fails with a clear message instead of turning into a confident paragraph.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mri_course.data.release import CLASS_NAMES

REGION_NAMES: tuple[str, ...] = ("upper left", "upper right", "lower left", "lower right", "centre")
"""The saliency module's regions, in image coordinates (the image's left is the patient's
right on a radiological image). Copied rather than imported so that this package loads
without TensorFlow; a test keeps the copy in step."""

SALIENCY_METHODS: tuple[str, ...] = ("gradcam", "smoothgrad", "gradient", "brief")

METHOD_LABELS: dict[str, str] = {
    "gradcam": "Grad-CAM",
    "smoothgrad": "SmoothGrad",
    "gradient": "a plain gradient map",
    "brief": "the original project's gradient map",
}
"""How each saliency method is named in a sentence."""

SUMMARY_KEYS: tuple[str, ...] = (
    "method",
    "dominant_region",
    "mass_by_region",
    "peak_region",
    "peak_value",
    "brain_area_above_threshold",
    "threshold_percentile",
)
"""The keys of the saliency module's region summary."""

SUM_TOLERANCE = 1e-3  # softmax in float32 sums to 1 within about 1e-6; leave room for rounding


class FactsError(ValueError):
    """The facts given to an explanation are unusable; the message says which and why."""


class ReadOnlyDict(dict):
    """A dict that refuses changes, so frozen facts stay frozen all the way down.

    Unlike ``types.MappingProxyType`` it pickles and copies (Streamlit's cache pickles what
    it keeps) and ``json.dumps`` writes it as an object.
    """

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("the facts cannot be changed: build new ones with from_prediction")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple:
        return (type(self), (dict(self),))


@dataclass(frozen=True)
class PredictionFacts:
    """What the classifier predicted for one scan and where its saliency map points.

    Build it with :meth:`from_prediction`, which checks every input.
    """

    predicted_class: str
    confidence: float  # the predicted class's probability, 0..1
    runner_up: str
    runner_up_probability: float
    probabilities: Mapping[str, float]  # every class, in CLASS_NAMES order
    model_name: str  # the classifier, e.g. "cnn_cpu"
    method: str  # the saliency method, one of SALIENCY_METHODS
    region_summary: Mapping[str, Any]
    colour_legend: str  # what the overlay's colours mean, as drawn

    @property
    def dominant_region(self) -> str:
        return self.region_summary["dominant_region"]

    @property
    def dominant_share(self) -> float:
        """The share of the saliency mass in the dominant region, 0..1."""
        return self.region_summary["mass_by_region"][self.dominant_region]

    @property
    def margin(self) -> float:
        """How far the prediction is ahead of the runner-up, 0..1: small means torn."""
        return self.confidence - self.runner_up_probability

    @classmethod
    def from_prediction(
        cls,
        probabilities: Sequence[float] | np.ndarray,
        class_names: Sequence[str],
        region_summary: Mapping[str, Any],
        colour_legend: str,
        model_name: str,
    ) -> PredictionFacts:
        """Check a prediction and its saliency summary and gather them as facts.

        Args:
            probabilities: the softmax output for one scan, e.g. ``model.predict(x)[0]``.
            class_names: the class of each probability (``CLASS_NAMES`` for the course's
                models).
            region_summary: the saliency module's region summary (see ``SUMMARY_KEYS``).
            colour_legend: what the overlay's colours mean, as the overlay was drawn.
            model_name: the classifier's name, e.g. ``"cnn_cpu"``.

        Raises:
            FactsError: naming the input that is wrong and what to pass instead.
        """
        by_class = _probabilities_by_class(probabilities, class_names)
        ranked = sorted(by_class, key=by_class.__getitem__, reverse=True)
        summary = _checked_summary(region_summary)
        if not isinstance(colour_legend, str) or not colour_legend.strip():
            raise FactsError(
                "colour_legend is empty: pass the legend of the overlay as drawn, e.g. "
                '"dark red = strongest attention, ..., blue = weakest".'
            )
        if not isinstance(model_name, str) or not model_name.strip():
            raise FactsError('model_name is empty: name the classifier, e.g. "cnn_cpu".')
        return cls(
            predicted_class=ranked[0],
            confidence=by_class[ranked[0]],
            runner_up=ranked[1],
            runner_up_probability=by_class[ranked[1]],
            probabilities=ReadOnlyDict(by_class),
            model_name=model_name.strip(),
            method=summary["method"],
            region_summary=ReadOnlyDict(summary),
            colour_legend=colour_legend.strip(),
        )


def _probabilities_by_class(
    probabilities: Sequence[float] | np.ndarray, class_names: Sequence[str]
) -> dict[str, float]:
    names = list(class_names)
    if sorted(names) != sorted(CLASS_NAMES):
        raise FactsError(
            f"class_names {names} are not the course's four classes {list(CLASS_NAMES)} "
            "(each once); pass mri_course.data.release.CLASS_NAMES."
        )
    values = np.asarray(probabilities, dtype=np.float64)
    if values.shape != (len(CLASS_NAMES),):
        raise FactsError(
            f"probabilities have shape {values.shape}; pass one scan's {len(CLASS_NAMES)} "
            "probabilities, e.g. model.predict(batch)[0]."
        )
    if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1:
        raise FactsError(
            f"probabilities {values.round(4).tolist()} are not all between 0 and 1: pass the "
            "softmax output, not logits."
        )
    if abs(values.sum() - 1.0) > SUM_TOLERANCE:
        raise FactsError(
            f"probabilities sum to {values.sum():.4f}, not 1: pass the softmax output of one "
            "scan, not logits or a slice of it."
        )
    by_name = dict(zip(names, values.tolist(), strict=True))
    return {name: by_name[name] for name in CLASS_NAMES}


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise FactsError(f"region summary: {what} is {value!r}, not a number")
    number = float(value)
    if not math.isfinite(number):
        raise FactsError(f"region summary: {what} is {number}, not a finite number")
    return number


def _share(value: Any, what: str) -> float:
    number = _number(value, what)
    if not 0.0 <= number <= 1.0:
        raise FactsError(f"region summary: {what} is {number}, not a share between 0 and 1")
    return number


def _checked_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(summary, Mapping):
        raise FactsError(
            f"region_summary is a {type(summary).__name__}; pass the saliency module's "
            "region summary, a mapping with the keys " + ", ".join(SUMMARY_KEYS)
        )
    missing = [key for key in SUMMARY_KEYS if key not in summary]
    if missing:
        raise FactsError(
            f"region summary lacks {', '.join(missing)}; it needs {', '.join(SUMMARY_KEYS)}"
        )
    if summary["method"] not in SALIENCY_METHODS:
        raise FactsError(
            f"region summary: method {summary['method']!r} is not one of "
            f"{', '.join(SALIENCY_METHODS)}"
        )
    mass = summary["mass_by_region"]
    if not isinstance(mass, Mapping) or sorted(mass) != sorted(REGION_NAMES):
        found = sorted(mass) if isinstance(mass, Mapping) else type(mass).__name__
        raise FactsError(
            f"region summary: mass_by_region has {found}; it needs exactly the regions "
            f"{', '.join(REGION_NAMES)}"
        )
    shares = {region: _share(mass[region], f"mass of {region!r}") for region in REGION_NAMES}
    if abs(sum(shares.values()) - 1.0) > 0.01:
        raise FactsError(
            f"region summary: mass_by_region sums to {sum(shares.values()):.3f}, not 1; "
            "the shares of the saliency mass must add up to the whole map"
        )
    for key in ("dominant_region", "peak_region"):
        if summary[key] not in REGION_NAMES:
            raise FactsError(
                f"region summary: {key} {summary[key]!r} is not one of {', '.join(REGION_NAMES)}"
            )
    percentile = _number(summary["threshold_percentile"], "threshold_percentile")
    if not 0 <= percentile <= 100:
        raise FactsError(
            f"region summary: threshold_percentile is {percentile}, not a percentile 0..100"
        )
    return {
        "method": summary["method"],
        "dominant_region": summary["dominant_region"],
        "mass_by_region": ReadOnlyDict(shares),
        "peak_region": summary["peak_region"],
        "peak_value": _number(summary["peak_value"], "peak_value"),
        "brain_area_above_threshold": _share(
            summary["brain_area_above_threshold"], "brain_area_above_threshold"
        ),
        "threshold_percentile": percentile,
    }
