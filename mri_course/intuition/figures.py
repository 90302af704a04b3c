"""Static figures of lesson 04: the same pictures the widgets redraw, for pages where
widgets do not run (a code host, a PDF)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from mri_course.data.release import CLASS_NAMES
from mri_course.intuition.backprop import TrainingSteps
from mri_course.intuition.descent import DescentPath, Surface, describe_path
from mri_course.intuition.loss import cross_entropy
from mri_course.intuition.range_test import RangeTest, RateRun, smooth_losses


def cross_entropy_figure(
    probabilities: Sequence[float], label: int, class_names: Sequence[str] = CLASS_NAMES
) -> Figure:
    """Left: the predicted probabilities, the true class in colour. Right: the loss curve
    ``-log p`` with the true class's probability marked on it."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    loss = cross_entropy(probabilities, label)
    figure, (bars, curve) = plt.subplots(1, 2, figsize=(10, 3.2))
    colours = ["tab:green" if k == label else "lightgray" for k in range(len(probabilities))]
    bars.bar(class_names, probabilities, color=colours)
    bars.set(ylim=(0, 1), ylabel="predicted probability", title=f"true class: {class_names[label]}")
    p = np.linspace(0.001, 1, 400)
    curve.plot(p, -np.log(p), color="tab:blue")
    curve.scatter([max(probabilities[label], 1e-3)], [loss], color="tab:red", zorder=3)
    curve.set(
        xlabel="probability given to the true class",
        ylabel="loss = -log p",
        ylim=(0, 7),
        title=f"cross-entropy = {loss:.3f}",
    )
    figure.tight_layout()
    return figure


def _draw_surface(axis, surface: Surface, paths: Sequence[DescentPath]) -> None:
    """The loss as a curve (one weight) or as contour lines (two), around the minimum.

    A 2-D plot is as tall as the paths need (within the surface's extent), so a narrow
    valley's bounces stay visible: the two axes then have different scales.
    """
    centre = surface.minimum
    span = np.linspace(-surface.extent, surface.extent, 200)
    axis.set_xlim(centre[0] - surface.extent, centre[0] + surface.extent)
    if surface.dimensions == 1:
        weights = span + centre[0]
        axis.plot(weights, [surface.loss(np.array([w])) for w in weights], color="lightgray")
        axis.set(xlabel="weight", ylabel="loss", ylim=(0, surface.loss(surface.start) * 1.5))
        return
    reach = max((np.nanmax(np.abs(p.points[:, 1] - centre[1])) for p in paths), default=0)
    height = min(max(1.25 * float(reach), 0.1 * surface.extent), surface.extent)
    x, y = np.meshgrid(span + centre[0], np.linspace(-height, height, 200) + centre[1])
    z = np.vectorize(lambda a, b: surface.loss(np.array([a, b])))(x, y)
    best = surface.loss(centre)
    levels = best + np.geomspace(1e-4 * (z.max() - best), z.max() - best, 14)
    axis.contour(x, y, z, levels=levels, colors="lightgray")
    axis.plot(*centre, marker="*", markersize=12, color="black", linestyle="none", zorder=5)
    axis.set(xlabel="weight 1", ylabel="weight 2", ylim=(centre[1] - height, centre[1] + height))


def _draw_path(axis, surface: Surface, path: DescentPath, **style):
    points = path.points
    if surface.dimensions == 1:
        return axis.plot(points[:, 0], [surface.loss(p) for p in points], **style)[0]
    return axis.plot(points[:, 0], points[:, 1], **style)[0]


def _above_lowest(path: DescentPath, surface: Surface) -> np.ndarray:
    """The loss above the surface's lowest value, kept positive for a log scale."""
    return np.maximum(path.losses - surface.loss(surface.minimum), 1e-12)


def verdict_label(path: DescentPath, surface: Surface) -> str:
    """The legend of a path: who, at what rate, what the path did and the loss it reached.

    The verdict is :func:`describe_path` of this very path, never a fixed string, and the
    two losses beside it let a reader check it against the curve.
    """
    first, last = path.losses[0], path.losses[-1]
    return (
        f"{path.label}, rate {path.learning_rate:g}: {describe_path(path, surface)} "
        f"(loss {first:.3g} → {last:.2g})"
    )


def _paths_figure(surface, paths, labels, x_values, x_label, title) -> Figure:
    """The paths on the surface (left), their loss above the lowest (right, log scale),
    and one legend under both."""
    figure, (where, loss) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    _draw_surface(where, surface, paths)
    for order, (path, label, x) in enumerate(zip(paths, labels, x_values, strict=True)):
        # the first paths on top: a short full-batch path would hide under a long noisy one
        style = {"marker": "o", "markersize": 4 if path.steps < 20 else 2.5, "linewidth": 1}
        line = _draw_path(where, surface, path, zorder=len(paths) - order + 1, **style)
        loss.plot(x, _above_lowest(path, surface), color=line.get_color(), label=label)
    where.set_title(surface.name)
    loss.set(yscale="log", xlabel=x_label, ylabel="loss above the lowest", title=title)
    figure.legend(loc="outside lower center", ncol=2, fontsize=8)
    return figure


def descent_figure(surface: Surface, paths: Sequence[DescentPath]) -> Figure:
    """Each path on the surface, and its loss after each step (log scale).

    Each legend entry says what its path did (:func:`verdict_label`), computed from it.
    """
    labels = [verdict_label(path, surface) for path in paths]
    steps = [np.arange(len(path.losses)) for path in paths]
    return _paths_figure(surface, paths, labels, steps, "step", "loss per step")


def minibatch_figure(surface: Surface, paths: Sequence[DescentPath]) -> Figure:
    """Full-batch and mini-batch paths on one data surface, and their loss per epoch.

    The loss is over all the data, drawn against the passes over the data made so far
    (epochs, from :func:`~mri_course.intuition.stochastic.minibatch_path`), so every path is
    shown at the same cost in examples looked at. Each legend entry gives its path's steps
    and final loss, read from the path.
    """
    labels = [
        f"{path.label}, rate {path.learning_rate:g}: {path.steps} steps, loss {path.losses[-1]:.3f}"
        for path in paths
    ]
    epochs = [np.arange(len(p.losses)) if p.epochs is None else p.epochs for p in paths]
    title = f"lowest possible loss {surface.loss(surface.minimum):.3f} (the star)"
    return _paths_figure(surface, paths, labels, epochs, "passes over the data (epochs)", title)


def range_test_figure(result: RangeTest) -> Figure:
    """The loss of each batch against its learning rate, with the suggested rate marked."""
    figure, axis = plt.subplots(figsize=(7, 3.6))
    axis.plot(result.rates, result.losses, color="lightgray", label="loss of each batch")
    axis.plot(result.rates, result.smoothed, color="tab:blue", label="smoothed")
    for rate, text, colour in (
        (result.min_loss_rate, "lowest loss", "tab:red"),
        (result.suggested_rate, "suggested (a tenth)", "tab:green"),
    ):
        axis.axvline(rate, color=colour, linestyle="--", label=f"{text}: {rate:.1e}")
    top = min(float(np.nanmax(result.smoothed)), 4 * float(np.nanmin(result.smoothed)))
    axis.set(xscale="log", xlabel="learning rate", ylabel="training loss", ylim=(0, top * 1.1))
    axis.set_title("learning-rate range test")
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def rate_runs_figure(runs: Sequence[RateRun]) -> Figure:
    """The smoothed training loss of short runs at constant rates, side by side."""
    figure, axis = plt.subplots(figsize=(7, 3.4))
    for run in runs:
        axis.plot(smooth_losses(run.losses), label=f"rate {run.rate:g}")
    axis.set(
        xlabel="training step (batch)", ylabel="loss (smoothed)", title="same steps, three rates"
    )
    axis.legend()
    figure.tight_layout()
    return figure


def training_steps_figure(steps: TrainingSteps) -> Figure:
    """Loss and probability of the right class after each predict-measure-adjust round."""
    figure, (loss, right) = plt.subplots(1, 2, figsize=(9, 3))
    rounds = range(len(steps.losses))
    loss.plot(rounds, steps.losses, marker="o")
    loss.set(xlabel="weight updates so far", ylabel="batch loss", title="the loss goes down")
    right.plot(rounds, steps.true_class_probability, marker="o", color="tab:green")
    right.set(
        xlabel="weight updates so far",
        ylabel="mean p(true class)",
        ylim=(0, 1),
        title="the right class gains probability",
    )
    figure.tight_layout()
    return figure
