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


def _draw_surface(axis, surface: Surface) -> None:
    span = np.linspace(-surface.extent, surface.extent, 200) + surface.minimum[0]
    if surface.dimensions == 1:
        axis.plot(span, [surface.loss(np.array([w])) for w in span], color="lightgray")
        axis.set(xlabel="weight", ylabel="loss")
    else:
        x, y = np.meshgrid(span, np.linspace(-surface.extent, surface.extent, 200))
        z = np.vectorize(lambda a, b: surface.loss(np.array([a, b])))(x, y)
        axis.contour(x, y, z, levels=np.geomspace(0.05, z.max(), 14), colors="lightgray")
        axis.set(xlabel="weight 1", ylabel="weight 2", aspect="equal")
    axis.set_xlim(span[0], span[-1])


def descent_figure(surface: Surface, paths: Sequence[DescentPath]) -> Figure:
    """Left: each path drawn on the surface. Right: the loss after each step (log scale)."""
    figure, (where, loss) = plt.subplots(1, 2, figsize=(11, 3.8))
    _draw_surface(where, surface)
    for path in paths:
        label = f"{path.optimizer}, rate {path.learning_rate:g}: {describe_path(path, surface)}"
        points = path.points
        if surface.dimensions == 1:
            heights = [surface.loss(p) for p in points]
            (line,) = where.plot(points[:, 0], heights, marker="o", markersize=3, label=label)
        else:
            (line,) = where.plot(points[:, 0], points[:, 1], marker="o", markersize=3, label=label)
        loss.plot(np.maximum(path.losses, 1e-12), color=line.get_color())
    if surface.dimensions == 1:
        where.set_ylim(0, surface.loss(surface.start) * 1.5)
    else:
        where.set_ylim(-surface.extent, surface.extent)
    where.set_title(surface.name)
    where.legend(fontsize=7, loc="upper center")
    loss.set(yscale="log", xlabel="step", ylabel="loss", title="loss per step")
    figure.tight_layout()
    return figure


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
