"""Checks for lesson 05's exercises (evaluation)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix


def check_confusion_matrix(confusion_matrix: Callable) -> str:
    true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
    predicted = np.array([0, 1, 1, 1, 1, 2, 2, 0, 2, 3])
    found = np.asarray(confusion_matrix(true, predicted, 4))
    assert found.shape == (4, 4), f"shape {found.shape}; expected (4, 4): one row per class"
    expected = sklearn_confusion_matrix(true, predicted, labels=[0, 1, 2, 3])
    if np.array_equal(found, expected.T):
        raise AssertionError("rows and columns are swapped: rows are the true classes")
    assert np.array_equal(found, expected), (
        f"for 10 examples got\n{found}\nscikit-learn gives\n{expected}"
    )
    absent = np.asarray(confusion_matrix(np.array([0, 0, 2]), np.array([0, 2, 2]), 4))
    assert absent.shape == (4, 4), (
        f"with classes 1 and 3 absent the matrix has shape {absent.shape}; it must still be "
        "4 x 4, so the matrices of different test sets line up"
    )
    rng = np.random.default_rng(0)
    true, predicted = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    assert np.array_equal(
        confusion_matrix(true, predicted, 4),
        sklearn_confusion_matrix(true, predicted, labels=[0, 1, 2, 3]),
    ), "300 random labels: your matrix differs from scikit-learn's"
    return "the same as scikit-learn's, with a row and column for every class"


def check_per_class_recall(per_class_recall: Callable) -> str:
    matrix = np.array([[8, 2, 0, 0], [1, 9, 0, 0], [3, 0, 7, 0], [0, 0, 0, 0]])
    recall = np.asarray(per_class_recall(matrix), dtype=float)
    assert recall.shape == (4,), f"shape {recall.shape}; expected one recall per class, (4,)"
    precision = np.array([8 / 12, 9 / 11, 1.0])
    if np.allclose(recall[:3], precision):
        raise AssertionError(
            "that is precision (the diagonal over each column): recall divides by the row, "
            "the scans that truly have the class"
        )
    np.testing.assert_allclose(
        recall[:3],
        [0.8, 0.9, 0.7],
        err_msg="recall of class i is matrix[i, i] / (the sum of row i)",
    )
    assert np.isnan(recall[3]), (
        f"class 3 has no examples, so it has no recall; you gave {recall[3]}. Return NaN "
        "(np.nan), not 0 or 1"
    )
    return "the diagonal over each row, NaN for a class with no examples"


def check_expected_calibration_error(expected_calibration_error: Callable) -> str:
    probabilities = np.array(
        [
            [0.65, 0.35, 0.0, 0.0],  # right, confidence 0.65
            [0.35, 0.65, 0.0, 0.0],  # wrong, confidence 0.65
            [0.95, 0.05, 0.0, 0.0],  # right, confidence 0.95
            [0.0, 0.0, 0.95, 0.05],  # right, confidence 0.95
            [0.0, 0.0, 0.95, 0.05],  # right, confidence 0.95
            [0.0, 0.0, 0.95, 0.05],  # right, confidence 0.95
        ]
    )
    labels = np.array([0, 0, 0, 2, 2, 2])
    found = float(expected_calibration_error(probabilities, labels, 10))
    weighted = 2 / 6 * 0.15 + 4 / 6 * 0.05
    unweighted = (0.15 + 0.05) / 2
    if np.isclose(found, unweighted) and not np.isclose(found, weighted):
        raise AssertionError(
            f"got {found:.4f}, the plain mean of the bins' gaps: weight each bin's gap by the "
            f"share of predictions in it (expected {weighted:.4f})"
        )
    assert np.isclose(found, weighted), (
        f"two predictions at 0.65 (one right) and four at 0.95 (all right): expected "
        f"{weighted:.4f}, got {found:.4f}. Confidence is the highest probability; a prediction "
        "is right when that class is the true one"
    )
    certain = float(expected_calibration_error(np.array([[1.0, 0, 0, 0]]), np.array([1]), 10))
    assert np.isclose(certain, 1.0), (
        f"one prediction 100% sure and wrong should give an ECE of 1, got {certain}: a "
        "confidence of exactly 1.0 belongs in the last bin, (0.9, 1.0]"
    )
    return "the gaps between confidence and accuracy, weighted by each bin's share"


def check_conformal_quantile(conformal_quantile: Callable) -> str:
    scores = np.array([0.31, 0.05, 0.62, 0.12, 0.48, 0.09, 0.77, 0.2, 0.93, 0.4])  # n = 10
    found = float(conformal_quantile(scores, 0.2))
    ranked = np.sort(scores)
    if np.isclose(found, np.quantile(scores, 0.8)):
        raise AssertionError(
            "that is the plain 80% quantile: with n scores take the k-th smallest, "
            "k = ceil((n + 1) * (1 - alpha)), the finite-sample correction"
        )
    if np.isclose(found, ranked[7]):
        raise AssertionError(
            "that is the ceil(n * (1 - alpha))-th smallest: the new scan is the (n + 1)-th, "
            "so k = ceil((n + 1) * (1 - alpha)) = 9 here"
        )
    if np.isclose(found, ranked[9]):
        raise AssertionError("one place too far: the k-th smallest is sorted[k - 1]")
    assert np.isclose(found, ranked[8]), (
        f"10 scores at alpha 0.2: k = ceil(11 * 0.8) = 9, the 9th smallest, {ranked[8]}; "
        f"got {found}"
    )
    too_few = conformal_quantile(scores[:5], 0.1)
    assert np.isinf(too_few), (
        f"5 scores at alpha 0.1 need k = ceil(6 * 0.9) = 6 > 5: no score is high enough, so "
        f"the threshold is infinity (every class in every set), not {too_few}"
    )
    for alpha in (0.0, 1.0):
        try:
            conformal_quantile(scores, alpha)
        except ValueError:
            continue
        raise AssertionError(f"alpha = {alpha} is no error rate: raise ValueError")
    return "the ceil((n + 1)(1 - alpha))-th smallest score, infinity when there is none"


def check_coverage_by_class(coverage_by_class: Callable) -> str:
    sets = np.array(
        [
            [True, False, False, False],  # class 0, covered
            [False, True, False, False],  # class 0, missed
            [True, True, False, False],  # class 1, covered
            [False, False, True, True],  # class 2, covered
            [False, True, True, False],  # class 2, covered
        ]
    )
    labels = np.array([0, 0, 1, 2, 2])
    found = np.asarray(coverage_by_class(sets, labels, 4), dtype=float)
    assert found.shape == (4,), f"shape {found.shape}; expected one coverage per class, (4,)"
    if np.allclose(found[:3], sets[:, :3].mean(axis=0)):
        raise AssertionError(
            "that is how often each class is in any set: coverage looks only at each class's "
            "own scans, and whether their set holds their true class"
        )
    if np.allclose(found[:3], 0.8):
        raise AssertionError("that is the overall coverage, repeated: compute it class by class")
    np.testing.assert_allclose(
        found[:3], [0.5, 1.0, 1.0], err_msg="class 0: one of its two scans is covered"
    )
    assert np.isnan(found[3]), (
        f"class 3 has no scan, so it has no coverage; you gave {found[3]}. Return NaN"
    )
    return "each class's share of scans whose set holds their true class, NaN when absent"
