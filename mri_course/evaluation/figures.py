"""Figures of lesson 05: confusion matrices, reliability diagrams, intervals, mistakes."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from mri_course.data.decode import load_rgb
from mri_course.data.release import CLASS_NAMES
from mri_course.evaluation.calibration import reliability_bins
from mri_course.evaluation.conformal import accuracy_coverage
from mri_course.evaluation.predict import Predictions
from mri_course.evaluation.report import EvaluationReport


def confusion_figure(confusions: dict[str, np.ndarray]) -> Figure:
    """One confusion matrix per named subset, side by side (rows: true, columns: predicted)."""
    figure, axes = plt.subplots(1, len(confusions), figsize=(4.6 * len(confusions), 4.2))
    for axis, (title, matrix) in zip(np.atleast_1d(axes), confusions.items(), strict=True):
        ConfusionMatrixDisplay(matrix, display_labels=CLASS_NAMES).plot(
            ax=axis, colorbar=False, cmap="Blues"
        )
        axis.set_title(title)
        axis.tick_params(axis="x", labelrotation=30)
    figure.tight_layout()
    return figure


def reliability_figure(predictions: Predictions, title: str = "", bins: int = 10) -> Figure:
    """Accuracy against confidence per bin; the diagonal is perfect calibration."""
    rows = reliability_bins(predictions.probabilities, predictions.labels, bins)
    figure, (diagram, counts) = plt.subplots(
        2, 1, figsize=(5, 5.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    filled = [row for row in rows if row.count]
    diagram.plot([0, 1], [0, 1], color="gray", linestyle=":", label="perfectly calibrated")
    diagram.plot(
        [r.mean_confidence for r in filled], [r.accuracy for r in filled], marker="o", label="model"
    )
    diagram.set(ylabel="accuracy in the bin", xlim=(0, 1), ylim=(0, 1.02), title=title)
    diagram.legend()
    centres = [(r.low + r.high) / 2 for r in rows]
    counts.bar(centres, [r.count for r in rows], width=1 / bins * 0.9, color="tab:gray")
    counts.set(xlabel="confidence (highest probability)", ylabel="scans", yscale="log")
    figure.tight_layout()
    return figure


def accuracy_coverage_figure(predictions: Predictions, title: str = "") -> Figure:
    """Selective prediction: the accuracy of the answers kept against the share answered,
    the model answering its most confident scans first (``conformal.accuracy_coverage``)."""
    coverage, accuracy, threshold = accuracy_coverage(predictions.probabilities, predictions.labels)
    figure, axis = plt.subplots(figsize=(5.5, 3.6))
    axis.plot(coverage, accuracy)
    for confidence in (0.99, 0.9):
        kept = threshold >= confidence
        if kept.any():
            k = int(np.flatnonzero(kept)[-1])
            axis.plot(coverage[k], accuracy[k], "o", label=f"answer only at >= {confidence:.0%}")
    axis.set(
        xlabel="share of scans answered (coverage)",
        ylabel="accuracy of the answers",
        title=title,
        ylim=(min(accuracy.min(), 0.9) - 0.01, 1.005),
    )
    if axis.get_legend_handles_labels()[0]:
        axis.legend(loc="lower left")
    figure.tight_layout()
    return figure


def intervals_figure(reports: Sequence[EvaluationReport]) -> Figure:
    """Accuracy with its 95% interval on each subset, one row of markers per model."""
    figure, axis = plt.subplots(figsize=(7.5, 0.6 + 0.9 * sum(len(r.subsets) for r in reports)))
    labels, y = [], 0
    for report in reports:
        for scores in report.subsets:
            low, high = scores.interval or (scores.accuracy, scores.accuracy)
            axis.errorbar(
                scores.accuracy,
                y,
                xerr=[[scores.accuracy - low], [high - scores.accuracy]],
                fmt="o",
                capsize=4,
            )
            labels.append(f"{report.model}: {scores.name} ({scores.images})")
            y += 1
    axis.set_yticks(range(len(labels)), labels)
    axis.invert_yaxis()
    axis.set(xlabel="accuracy, with its 95% bootstrap interval")
    axis.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    figure.tight_layout()
    return figure


def mistakes_gallery(predictions: Predictions, limit: int = 12, columns: int = 6) -> Figure:
    """The misclassified scans, most confident mistakes first, with their probabilities."""
    wrong = np.flatnonzero(~predictions.correct)
    order = wrong[np.argsort(-predictions.probabilities[wrong].max(axis=1))][:limit]
    if not len(order):
        figure, axis = plt.subplots(figsize=(4, 1))
        axis.text(0.5, 0.5, "no mistakes on this set", ha="center", va="center")
        axis.axis("off")
        return figure
    rows = int(np.ceil(len(order) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(2.3 * columns, 2.7 * rows), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, k in zip(axes.flat, order, strict=False):
        record = predictions.records[k]
        probabilities = predictions.probabilities[k]
        axis.imshow(load_rgb(record.path))
        called = CLASS_NAMES[int(probabilities.argmax())]
        axis.set_title(
            f"true {record.label}\ncalled {called} {probabilities.max():.0%}\n"
            f"(p true {probabilities[record.label_index]:.0%})",
            fontsize=8,
        )
    figure.tight_layout()
    return figure
