"""Reference solutions of lesson 05 (honest evaluation).

Each function is the package's own code, copied from the module named above it: the
course runs exactly this. Edit the package, then run
`python -m mri_course.exercises.generate` to refresh this file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mri_course.data.release import CLASS_NAMES
from mri_course.evaluation.metrics import validate_labels
from mri_course.intuition.loss import validate_probabilities


# Exercise 5.1, from mri_course/evaluation/metrics.py
def confusion_matrix(
    true_labels: Sequence[int], predicted_labels: Sequence[int], classes: int = len(CLASS_NAMES)
) -> np.ndarray:
    """Count each (true class, predicted class) pair.

    Cell ``[i, j]`` is the number of examples of true class ``i`` that the model called
    class ``j``: the diagonal holds the right answers, everything else a specific mistake
    ("a glioma called a meningioma"). Every class gets a row and a column, even one that
    never occurs or is never predicted, so matrices of different test sets line up.

    Args:
        true_labels: the true class index of each example.
        predicted_labels: the predicted class index of each example (same length).
        classes: the number of classes (4 here).

    Returns:
        An integer array of shape ``(classes, classes)`` whose total is the number of
        examples.

    Hints:
        - Start from `np.zeros((classes, classes), dtype=np.int64)`.
        - For each pair, add one to `matrix[true, predicted]` (a loop, or `np.add.at`).
    """
    true_labels = validate_labels(true_labels, classes, "true labels")
    predicted_labels = validate_labels(predicted_labels, classes, "predicted labels")
    if true_labels.shape != predicted_labels.shape:
        raise ValueError(
            f"{len(true_labels)} true labels but {len(predicted_labels)} predicted labels"
        )
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (true_labels, predicted_labels), 1)
    return matrix


# Exercise 5.2, from mri_course/evaluation/metrics.py
def per_class_recall(confusion: np.ndarray) -> np.ndarray:
    """The share of each class's examples that the model found (its sensitivity).

    Recall of class ``i`` is the diagonal cell ``[i, i]`` divided by the total of row
    ``i``: of the scans that truly show this tumour, the share called by its name. A class
    with no examples has no recall: it is NaN, not 0 (nothing was missed) and not 1
    (nothing was found).

    Args:
        confusion: a square confusion matrix, rows = true class, columns = predicted.

    Returns:
        A float array with one recall per class, NaN for a class with no examples.

    Hints:
        - The diagonal: `np.diag(confusion)`; the row totals: `confusion.sum(axis=1)`.
        - `np.where(totals > 0, found / totals, np.nan)`, inside
          `np.errstate(invalid="ignore", divide="ignore")`.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    found = np.diag(confusion)
    actual = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(actual > 0, found / actual, np.nan)


# Exercise 5.3, from mri_course/evaluation/calibration.py
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


# Exercise 5.4, from mri_course/evaluation/conformal.py
def conformal_quantile(scores: np.ndarray, alpha: float) -> float:
    """The threshold of split conformal prediction: the ``ceil((n + 1)(1 - alpha))``-th
    smallest of ``n`` calibration scores.

    Why not simply the ``1 - alpha`` quantile? The new scan's score is one more draw from
    the same distribution: among ``n + 1`` scores its rank is uniform, so it is at most the
    ``k``-th smallest calibration score with probability ``k / (n + 1)``. Asking for
    ``k / (n + 1) >= 1 - alpha`` gives ``k = ceil((n + 1)(1 - alpha))``. When ``k > n``
    (too few scans for the level asked) no finite threshold has the guarantee, and the
    answer is infinity: every class goes in every set.

    Args:
        scores: the calibration scores, one per scan (of the true class).
        alpha: the error rate allowed, e.g. ``0.05`` for 95% coverage.

    Returns:
        The threshold, one of ``scores``, or ``inf``.

    Hints:
        - Check `0 < alpha < 1` and that there is at least one score (else `ValueError`).
        - `k = math.ceil((n + 1) * (1 - alpha))`; if `k > n` return `math.inf`.
        - Sort the scores and return the `k`-th smallest: index `k - 1`.
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if scores.size == 0:
        raise ValueError("no calibration scores: the calibration set is empty")
    n = scores.size
    k = math.ceil((n + 1) * (1 - alpha))
    if k > n:
        return math.inf
    return float(np.sort(scores)[k - 1])


# Exercise 5.5, from mri_course/evaluation/conformal.py
def coverage_by_class(sets: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    """The share of each class's scans whose set holds their true class (NaN for a class
    with no scan): the guarantee, checked class by class.

    Args:
        sets: boolean ``(examples, classes)`` prediction sets.
        labels: the true class index of each example.
        classes: the number of classes.

    Returns:
        A float array of length ``classes``.

    Hints:
        - `sets[np.arange(len(labels)), labels]` says, per scan, whether it is covered.
        - For each class `k`, average that over the scans with `labels == k`.
        - A class with no scan has no coverage: `np.nan`, not 0 or 1.
    """
    sets, labels = np.asarray(sets, dtype=bool), np.asarray(labels)
    if sets.shape != (len(labels), classes):
        raise ValueError(f"sets of shape {sets.shape}; expected ({len(labels)}, {classes})")
    covered = sets[np.arange(len(labels)), labels]
    return np.array(
        [covered[labels == k].mean() if np.any(labels == k) else np.nan for k in range(classes)]
    )
