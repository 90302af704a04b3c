"""Does a confidence of 90% mean right nine times in ten? Calibration, measured.

A model is *calibrated* when, among the scans it labels with confidence about ``c``, a
share of about ``c`` is right. The reliability table sorts predictions into confidence
bins and compares each bin's mean confidence with its accuracy; the expected calibration
error (ECE) averages the gaps, weighted by how many predictions fall in each bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mri_course.intuition.loss import validate_probabilities


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = 10
) -> float:
    """The average gap between confidence and accuracy, over equal-width confidence bins.

    Each prediction's confidence is its highest probability, and it is right when that
    class is the true one. Split ``(0, 1]`` into ``bins`` equal intervals (a confidence of
    exactly 1.0 falls in the last one, ``(0.9, 1.0]`` with 10 bins); in each bin compare the
    mean confidence with the accuracy; the ECE is the sum of those gaps, each weighted by
    the share of predictions in its bin. 0 is perfectly calibrated.

    Args:
        probabilities: ``(examples, classes)`` predicted probabilities, rows summing to 1.
        labels: the true class index of each example.
        bins: the number of equal-width confidence bins.

    Returns:
        The ECE as a float between 0 and 1.

    Hints:
        - Confidence: `probabilities.max(axis=1)`; right: `probabilities.argmax(axis=1) ==
          labels`.
        - Bin edges: `np.linspace(0, 1, bins + 1)`; a bin holds `low < confidence <= high`.
        - Add `share of predictions in the bin * |accuracy - mean confidence|` over the non-
          empty bins.
    """
    probabilities = validate_probabilities(probabilities)
    labels = np.asarray(labels)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - confidence[in_bin].mean())
            error += in_bin.mean() * gap
    return float(error)


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_confidence: float | None  # None for an empty bin
    accuracy: float | None


def reliability_bins(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = 10
) -> list[ReliabilityBin]:
    """The rows of a reliability diagram, with the same bins as the ECE."""
    probabilities = validate_probabilities(probabilities)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > low) & (confidence <= high)
        count = int(in_bin.sum())
        rows.append(
            ReliabilityBin(
                float(low),
                float(high),
                count,
                float(confidence[in_bin].mean()) if count else None,
                float(correct[in_bin].mean()) if count else None,
            )
        )
    return rows


@dataclass(frozen=True)
class ConfidentPredictions:
    """How often the model is at least ``threshold`` sure, and how often it is then right."""

    threshold: float
    share: float  # of all predictions
    count: int
    accuracy: float | None  # None when no prediction is that confident
    wrong: int

    def to_text(self) -> str:
        if not self.count:
            return f"no prediction reaches a confidence of {self.threshold:.0%}"
        return (
            f"{self.share:.1%} of the predictions ({self.count}) have a confidence of "
            f"{self.threshold:.0%} or more; {self.accuracy:.2%} of those are right "
            f"({self.wrong} wrong)"
        )


def confident_predictions(
    probabilities: np.ndarray, labels: np.ndarray, threshold: float = 0.99
) -> ConfidentPredictions:
    """What "this model is 99% sure" means on a labelled set."""
    probabilities = validate_probabilities(probabilities)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    sure = confidence >= threshold
    count = int(sure.sum())
    return ConfidentPredictions(
        threshold,
        float(sure.mean()),
        count,
        float(correct[sure].mean()) if count else None,
        int((~correct[sure]).sum()),
    )
