"""Split conformal prediction: a set of classes that holds the true one 95% of the time.

A classifier gives one label and a probability; nothing guarantees the probability. Split
conformal prediction (Vovk et al.; Angelopoulos and Bates, "A Gentle Introduction to
Conformal Prediction", 2021) turns the same probabilities into a *set* of classes with a
guarantee that needs no assumption about the model:

1. a **score** says how badly a class fits a scan: LAC, ``1 - p(class)``; APS, the total
   probability of the classes ranked at or above it;
2. on ``n`` held-out scans that did not train the model (the calibration set), score the
   true class of each and take the ``ceil((n + 1)(1 - alpha))``-th smallest score,
   :func:`conformal_quantile`: the ``+ 1`` is the finite-sample correction;
3. the prediction set of a new scan is every class whose score is at most that threshold.

If the new scan and the calibration scans are exchangeable (drawn the same way), the set
contains the true class with probability at least ``1 - alpha``. Class-conditional
(Mondrian) conformal prediction takes one threshold per true class, from that class's
calibration scans only, and so gives the coverage for each class, not just on average.

The guarantee is about scans like the calibration set. On a cropped scan or a brain from
elsewhere it does not hold, and ``benchmarks/results/`` measures by how much it fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mri_course.intuition.loss import validate_probabilities

SCORES = ("lac", "aps")
"""The conformity scores: LAC (least ambiguous set-valued classifier, Sadinle et al. 2019)
gives the smallest sets on average; APS (adaptive prediction sets, Romano et al. 2020)
gives larger sets to scans the model is unsure about."""


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


def class_scores(probabilities: np.ndarray, method: str) -> np.ndarray:
    """The score of every class for every scan, ``(examples, classes)``; lower fits better.

    * ``"lac"``: ``1 - p(class)``.
    * ``"aps"``: the sum of the probabilities of the classes ranked at or above it (ties
      counted as above), so the top class scores its own probability and the last one 1.
    """
    probabilities = validate_probabilities(probabilities)
    if method == "lac":
        return 1.0 - probabilities
    if method == "aps":
        # Each class's score: the mass of the classes with a probability >= its own.
        at_or_above = probabilities[:, None, :] >= probabilities[:, :, None]
        return np.where(at_or_above, probabilities[:, None, :], 0.0).sum(axis=-1)
    raise ValueError(f"method must be one of {SCORES}, got {method!r}")


@dataclass(frozen=True)
class ConformalPredictor:
    """Fitted thresholds: a set holds every class whose score is at most its threshold.

    ``thresholds`` has one entry per class; they are all equal for marginal conformal
    prediction and differ for class-conditional (Mondrian) prediction.
    """

    method: str
    alpha: float
    thresholds: tuple[float, ...]
    class_conditional: bool
    calibration_images: int

    def sets(self, probabilities: np.ndarray) -> np.ndarray:
        """Boolean ``(examples, classes)``: True where a class is in the scan's set."""
        scores = class_scores(probabilities, self.method)
        return scores <= np.asarray(self.thresholds)[None, :]

    def to_dict(self) -> dict:
        """JSON-ready, for a model card (infinity written as None)."""
        return {
            "method": self.method,
            "alpha": self.alpha,
            "thresholds": [None if math.isinf(t) else t for t in self.thresholds],
            "class_conditional": self.class_conditional,
            "calibration_images": self.calibration_images,
        }


def fit_conformal(
    probabilities: np.ndarray,
    labels: np.ndarray,
    alpha: float = 0.05,
    method: str = "lac",
    class_conditional: bool = False,
) -> ConformalPredictor:
    """Thresholds from a calibration set: its probabilities and true labels.

    Marginal: one threshold from every calibration scan. Class-conditional: one threshold
    per class, from the scans of that class only (a class with few scans gets a high,
    cautious threshold; with none, infinity).
    """
    probabilities = validate_probabilities(probabilities)
    labels = np.asarray(labels)
    if len(labels) != len(probabilities):
        raise ValueError(f"{len(probabilities)} predictions but {len(labels)} labels")
    true_scores = class_scores(probabilities, method)[np.arange(len(labels)), labels]
    classes = probabilities.shape[1]
    if class_conditional:
        thresholds = tuple(
            conformal_quantile(true_scores[labels == k], alpha) if np.any(labels == k) else math.inf
            for k in range(classes)
        )
    else:
        thresholds = (conformal_quantile(true_scores, alpha),) * classes
    return ConformalPredictor(method, alpha, thresholds, class_conditional, len(labels))


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


def accuracy_coverage(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
    """Selective prediction: the model answers only its most confident scans.

    Sorted from the most to the least confident answer, for each number of answered scans:
    the share answered (coverage), the accuracy of those answers, and the confidence of
    the last one answered (the threshold that gives that coverage). Abstaining on the rest
    trades coverage for accuracy; the curve says at what price.

    Returns:
        ``(coverage, accuracy, threshold)``, three arrays of length ``examples``.
    """
    probabilities = validate_probabilities(probabilities)
    labels = np.asarray(labels)
    confidence = probabilities.max(axis=1)
    order = np.argsort(-confidence, kind="stable")
    right = (probabilities.argmax(axis=1) == labels)[order]
    answered = np.arange(1, len(labels) + 1)
    return answered / len(labels), np.cumsum(right) / answered, confidence[order]
