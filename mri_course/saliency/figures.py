"""Lesson 07's figures, one per function so that a lesson cell stays one line. Every overlay
is drawn as its method draws it, and comes with the legend of its colours."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from mri_course.data.release import CLASS_NAMES
from mri_course.saliency.mask import brain_mask, circular_mask
from mri_course.saliency.names import METHODS
from mri_course.saliency.overlay import SaliencyMap, saliency_legend, saliency_overlay
from mri_course.saliency.summary import EmptySaliencyError, region_summary
from mri_course.saliency.trust import PointingGame, SanityCheck


def _caption(saliency: SaliencyMap) -> str:
    try:
        summary = region_summary(saliency)
    except EmptySaliencyError:
        return "empty map"
    share = summary.mass_by_region[summary.dominant_region]
    return f"{summary.dominant_region} {share:.0%}, peak {summary.peak_value:.2f}"


def models_comparison(
    scans: Mapping[str, np.ndarray],
    maps: Mapping[str, Sequence[SaliencyMap]],
    probabilities: Mapping[str, np.ndarray] | None = None,
    title: str = "",
    size: float = 2.4,
) -> Figure:
    """One row per model, keyed by its name: its scan at its input size, then each map's
    overlay with where its mass lies; ``probabilities`` put its prediction in the row title."""
    rows, columns = len(maps), 1 + max(len(row) for row in maps.values())
    figsize = (size * columns, (size + 0.5) * rows + 1.0)
    figure, axes = plt.subplots(rows, columns, figsize=figsize, squeeze=False)
    for row, name in zip(axes, maps, strict=True):
        label = name
        if probabilities and name in probabilities:
            best = int(np.argmax(probabilities[name]))
            label = f"{name}\n{CLASS_NAMES[best]} {probabilities[name][best]:.0%}"
        row[0].imshow(np.uint8(np.clip(scans[name], 0, 255)))
        row[0].set_title(label, fontsize=8)
        for axis, saliency in zip(row[1:], maps[name], strict=False):
            axis.imshow(saliency_overlay(scans[name], saliency))
            axis.set_title(f"{METHODS[saliency.method].title}\n{_caption(saliency)}", fontsize=7)
        for axis in row:
            axis.axis("off")
    legends = dict.fromkeys(saliency_legend(s) for row in maps.values() for s in row)
    text = "\n".join(textwrap.fill(legend, 170) for legend in legends)
    figure.text(0.01, 0.01, text, fontsize=7, va="bottom")
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout(rect=(0, 0.04 * len(legends), 1, 1))
    return figure


def method_comparison(
    image: np.ndarray,
    maps: Sequence[SaliencyMap],
    outline: np.ndarray | None = None,
    title: str = "",
) -> Figure:
    """:func:`models_comparison` of one scan; the tumour's ``outline``, if any, is drawn in
    green on the scan and on every overlay, to hold the maps against it."""
    figure = models_comparison({"scan": image}, {"scan": maps}, title=title, size=2.6)
    if outline is not None and np.any(outline):
        for axis in figure.axes:
            axis.contour(outline, levels=[0.5], colors="lime", linewidths=1.2)
    return figure


def mask_comparison(images: Sequence[np.ndarray]) -> Figure:
    """Each scan with the brief's fixed circle (red) and the brain found in it (green)."""
    figure, axes = plt.subplots(1, len(images), figsize=(2.6 * len(images), 3.0))
    for axis, image in zip(np.atleast_1d(axes), images, strict=True):
        axis.imshow(np.uint8(np.clip(image, 0, 255)))
        axis.contour(circular_mask(*image.shape[:2]), levels=[0.5], colors="red", linewidths=1)
        axis.contour(brain_mask(image), levels=[0.5], colors="lime", linewidths=1)
        axis.axis("off")
    figure.suptitle("red: the brief's fixed circle; green: the brain found in the image", size=9)
    figure.tight_layout()
    return figure


def sanity_chart(checks: Sequence[SanityCheck]) -> Figure:
    """Rank correlation with the trained model's map as the model is randomised, per method."""
    figure, axis = plt.subplots(figsize=(6.5, 3.4))
    for check in checks:
        stages = ["trained", *(f"+ {stage}" for stage in check.stages)]
        axis.plot(stages, [1.0, *check.correlations], marker="o", label=METHODS[check.method].title)
    axis.axhline(0, color="grey", linewidth=0.8)
    lowest = min((c for check in checks for c in check.correlations if np.isfinite(c)), default=0)
    axis.set_ylim(min(-0.2, lowest - 0.05), 1.05)
    axis.set_xlabel("weights randomised, cumulatively from the top")
    axis.set_ylabel("rank correlation with\nthe trained model's map")
    axis.set_title("Sanity check: a faithful map must change when the model is destroyed", size=9)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def pointing_chart(games: Sequence[PointingGame]) -> Figure:
    """The pointing game's hit rate per method, with chance marked on each bar."""
    figure, axis = plt.subplots(figsize=(6.5, 3.2))
    positions = np.arange(len(games))
    bars = axis.bar(positions, [game.hit_rate for game in games], color="tab:blue")
    axis.bar_label(bars, labels=[f"{game.hit_rate:.0%}" for game in games], fontsize=8)
    axis.hlines([game.chance for game in games], positions - 0.4, positions + 0.4, colors="black")
    axis.set_xticks(positions, [METHODS[game.method].title for game in games], fontsize=8)
    axis.set(ylim=(0, 1.12), ylabel="peak inside the lesion")
    axis.set_title(
        f"Pointing game on {games[0].images if games else 0} synthetic scans with a lesion\n"
        "(black line: chance, the share of the brain the lesion covers)",
        fontsize=9,
    )
    figure.tight_layout()
    return figure
