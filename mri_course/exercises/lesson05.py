"""Lesson 05 exercises: honest evaluation.

Replace each `raise NotImplementedError(...)` with your code, then run the exercise's
check in lessons/05_evaluation.ipynb (or `mri-course progress`). Until you do, the
lesson runs the reference solution, so it never stops half-way. When you are done,
compare with solutions/exercises/lesson05.py.

Generated from the package's reference code by `python -m mri_course.exercises.generate`.
"""

# ruff: noqa: F401  (the imports are tools you may want; not every one is needed)

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mri_course.data.release import CLASS_NAMES
from mri_course.evaluation.metrics import validate_labels
from mri_course.exercises.runtime import exercise
from mri_course.intuition.loss import validate_probabilities


@exercise("5.1")
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
    raise NotImplementedError("Exercise 5.1: write confusion_matrix here")


@exercise("5.2")
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
    raise NotImplementedError("Exercise 5.2: write per_class_recall here")


@exercise("5.3")
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
    raise NotImplementedError("Exercise 5.3: write expected_calibration_error here")


@exercise("5.4")
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
    raise NotImplementedError("Exercise 5.4: write conformal_quantile here")


@exercise("5.5")
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
    raise NotImplementedError("Exercise 5.5: write coverage_by_class here")
