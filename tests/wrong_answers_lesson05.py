"""Plausible wrong answers to lesson 05's exercises: each check must fail on them."""

import numpy as np


def _confusion_transposed(true_labels, predicted_labels, classes=4):
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (predicted_labels, true_labels), 1)
    return matrix


def _confusion_only_seen_classes(true_labels, predicted_labels, classes=4):
    seen = int(max(np.max(true_labels), np.max(predicted_labels))) + 1
    matrix = np.zeros((seen, seen), dtype=np.int64)
    np.add.at(matrix, (true_labels, predicted_labels), 1)
    return matrix


def _recall_is_precision(confusion):
    confusion = np.asarray(confusion, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(confusion) / confusion.sum(axis=0)


def _recall_zero_for_empty(confusion):
    confusion = np.asarray(confusion, dtype=float)
    totals = confusion.sum(axis=1)
    return np.diag(confusion) / np.maximum(totals, 1)


def _ece_unweighted(probabilities, labels, bins=10):
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    gaps = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            gaps.append(abs(correct[inside].mean() - confidence[inside].mean()))
    return float(np.mean(gaps))


def _ece_drops_certain(probabilities, labels, bins=10):
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence >= low) & (confidence < high)
        if inside.any():
            error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(error)


def _ece_true_class_probability(probabilities, labels, bins=10):
    confidence = probabilities[np.arange(len(labels)), labels]
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(error)


def _quantile_plain(scores, alpha):
    if not 0 < alpha < 1:
        raise ValueError(alpha)
    return float(np.quantile(scores, 1 - alpha))


def _quantile_without_correction(scores, alpha):
    if not 0 < alpha < 1:
        raise ValueError(alpha)
    k = int(np.ceil(len(scores) * (1 - alpha)))
    return float(np.sort(scores)[k - 1])


def _quantile_off_by_one(scores, alpha):
    if not 0 < alpha < 1:
        raise ValueError(alpha)
    k = int(np.ceil((len(scores) + 1) * (1 - alpha)))
    ranked = np.sort(scores)
    return float(ranked[min(k, len(ranked) - 1)])


def _quantile_max_when_too_few(scores, alpha):
    if not 0 < alpha < 1:
        raise ValueError(alpha)
    k = int(np.ceil((len(scores) + 1) * (1 - alpha)))
    return float(np.sort(scores)[min(k, len(scores)) - 1])


def _quantile_accepts_any_alpha(scores, alpha):
    k = int(np.ceil((len(scores) + 1) * (1 - alpha)))
    return np.inf if k > len(scores) else float(np.sort(scores)[max(k, 1) - 1])


def _coverage_class_in_any_set(sets, labels, classes):
    return np.asarray(sets, dtype=float).mean(axis=0)


def _coverage_overall_repeated(sets, labels, classes):
    covered = np.asarray(sets)[np.arange(len(labels)), labels]
    return np.full(classes, covered.mean())


def _coverage_zero_for_absent(sets, labels, classes):
    covered = np.asarray(sets)[np.arange(len(labels)), labels]
    return np.array(
        [covered[labels == k].mean() if np.any(labels == k) else 0.0 for k in range(classes)]
    )


WRONG_ANSWERS = {
    "5.1": [
        (_confusion_transposed, "rows are the true classes"),
        (_confusion_only_seen_classes, "must still be 4 x 4"),
    ],
    "5.2": [(_recall_is_precision, "that is precision"), (_recall_zero_for_empty, "NaN")],
    "5.3": [
        (_ece_unweighted, "weight each bin"),
        (_ece_drops_certain, "exactly 1.0"),
        (_ece_true_class_probability, "highest probability"),
    ],
    "5.4": [
        (_quantile_plain, "plain 80% quantile"),
        (_quantile_without_correction, "(n + 1)-th"),
        (_quantile_off_by_one, "sorted[k - 1]"),
        (_quantile_max_when_too_few, "infinity"),
        (_quantile_accepts_any_alpha, "raise ValueError"),
    ],
    "5.5": [
        (_coverage_class_in_any_set, "own scans"),
        (_coverage_overall_repeated, "class by class"),
        (_coverage_zero_for_absent, "NaN"),
    ],
}
