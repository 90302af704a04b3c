"""Counting what a classifier got right and wrong, class by class.

The confusion matrix is the table every other figure comes from: one row per true class,
one column per predicted class, each cell a count of scans. Accuracy is its diagonal over
its total; a class's recall is its diagonal cell over its row (of the scans that have this
tumour, how many were found), its precision the diagonal cell over its column (of the
scans called this tumour, how many have it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import classification_report as sklearn_classification_report
from sklearn.metrics import precision_recall_fscore_support

from mri_course.data.release import CLASS_NAMES


def validate_labels(labels: Sequence[int], classes: int, what: str = "labels") -> np.ndarray:
    """``labels`` as an integer array, or a ValueError naming what is wrong with them."""
    values = np.asarray(labels)
    if values.ndim != 1:
        raise ValueError(f"{what} must be one class index per example, got shape {values.shape}")
    if values.size and not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"{what} must be integer class indices, got dtype {values.dtype}")
    if values.size and (values.min() < 0 or values.max() >= classes):
        raise ValueError(f"{what} must lie in 0..{classes - 1}, got {values.min()}..{values.max()}")
    return values.astype(np.int64)


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


def per_class_precision(confusion: np.ndarray) -> np.ndarray:
    """Of the examples called class ``j``, the share that are; NaN if never predicted."""
    confusion = np.asarray(confusion, dtype=np.float64)
    called = confusion.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(called > 0, np.diag(confusion) / called, np.nan)


def per_class_scores(
    true_labels: np.ndarray, predicted_labels: np.ndarray, class_names: Sequence[str] = CLASS_NAMES
) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each class, from scikit-learn.

    A class that is never predicted has precision 0 here (scikit-learn's
    ``zero_division=0``), and a class with no examples has recall 0 and support 0.
    """
    labels = list(range(len(class_names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        true_labels, predicted_labels, labels=labels, zero_division=0
    )
    return {
        name: {
            "precision": float(precision[k]),
            "recall": float(recall[k]),
            "f1": float(f1[k]),
            "support": int(support[k]),
        }
        for k, name in enumerate(class_names)
    }


def classification_report(
    true_labels: np.ndarray, predicted_labels: np.ndarray, class_names: Sequence[str] = CLASS_NAMES
) -> str:
    """scikit-learn's text report: precision, recall, F1 and support per class."""
    return sklearn_classification_report(
        true_labels,
        predicted_labels,
        labels=list(range(len(class_names))),
        target_names=list(class_names),
        digits=3,
        zero_division=0,
    )
