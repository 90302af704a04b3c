"""Sliders for lesson 04: thin ipywidgets wrappers over :mod:`mri_course.intuition`.

Each explorer keeps its controls, a text line with the numbers and a plot area. Every
change of a control recomputes through the same pure functions the lesson's static
figures use, so what a slider shows and what the tests check cannot drift apart. Build one
in a notebook cell and let it display itself (``CrossEntropyExplorer()``).
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from mri_course.data.release import CLASS_NAMES
from mri_course.intuition.descent import (
    OPTIMIZER_NAMES,
    OPTIMIZERS,
    bowl_1d,
    descent_path,
    describe_path,
    valley_2d,
)
from mri_course.intuition.figures import cross_entropy_figure, descent_figure
from mri_course.intuition.loss import cross_entropy

SURFACES = {"1-D bowl": bowl_1d, "2-D valley": valley_2d}


class _Explorer(widgets.VBox):
    """Controls on top, a summary line, then the plot; ``refresh`` recomputes all three."""

    def __init__(self, controls: list[widgets.Widget]) -> None:
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        super().__init__([*controls, self.summary, self.plot])
        for control in controls:
            control.observe(lambda _change: self.refresh(), names="value")
        self.refresh()

    def _draw(self, figure) -> None:
        self.plot.clear_output(wait=True)
        with self.plot:
            display(figure)
        plt.close(figure)  # shown once, in the output area; not again below the cell


class CrossEntropyExplorer(_Explorer):
    """Move the model's confidence in each class and watch the cross-entropy.

    The four sliders are raw confidences; they are divided by their sum to give
    probabilities (as softmax makes its outputs sum to one). ``loss`` and ``probabilities``
    hold the current numbers.
    """

    def __init__(self, true_class: str = "glioma") -> None:
        self.sliders = {
            name: widgets.FloatSlider(
                value=0.25, min=0.0, max=1.0, step=0.01, description=name, continuous_update=False
            )
            for name in CLASS_NAMES
        }
        self.true_class = widgets.Dropdown(
            options=list(CLASS_NAMES), value=true_class, description="true class"
        )
        super().__init__([self.true_class, *self.sliders.values()])

    @property
    def label(self) -> int:
        return CLASS_NAMES.index(self.true_class.value)

    def refresh(self) -> None:
        raw = np.array([slider.value for slider in self.sliders.values()])
        total = raw.sum()
        self.probabilities = raw / total if total > 0 else np.full(len(raw), 1 / len(raw))
        self.loss = cross_entropy(self.probabilities, self.label)
        shown = ", ".join(
            f"{name} {p:.2f}" for name, p in zip(CLASS_NAMES, self.probabilities, strict=True)
        )
        self.summary.value = (
            f"probabilities: {shown} &nbsp; <b>loss = -log p({self.true_class.value}) = "
            f"{self.loss:.3f}</b>"
        )
        self._draw(cross_entropy_figure(self.probabilities, self.label))


class LearningRateExplorer(_Explorer):
    """Pick a surface, a learning rate and a number of steps; compare optimisers.

    ``paths`` holds the current runs and ``verdicts`` what each rate did ("too small:
    slow", "good", "too large: oscillating", "too large: diverging").
    """

    def __init__(
        self, surface: str = "1-D bowl", learning_rate: float = 0.1, steps: int = 20
    ) -> None:
        self.surface_choice = widgets.Dropdown(
            options=list(SURFACES), value=surface, description="surface"
        )
        self.learning_rate = widgets.FloatLogSlider(
            value=learning_rate,
            base=10,
            min=-3,
            max=0.5,
            step=0.05,
            description="learning rate",
            continuous_update=False,
        )
        self.steps = widgets.IntSlider(
            value=steps, min=1, max=100, description="steps", continuous_update=False
        )
        self.optimizers = widgets.SelectMultiple(
            options=[(OPTIMIZER_NAMES[key], key) for key in OPTIMIZERS],
            value=("sgd",),
            description="optimisers",
            rows=3,
        )
        super().__init__([self.surface_choice, self.learning_rate, self.steps, self.optimizers])

    def refresh(self) -> None:
        surface = SURFACES[self.surface_choice.value]()
        chosen = self.optimizers.value or ("sgd",)
        self.paths = [
            descent_path(surface, self.learning_rate.value, self.steps.value, optimizer)
            for optimizer in chosen
        ]
        self.verdicts = {path.optimizer: describe_path(path, surface) for path in self.paths}
        self.summary.value = "; ".join(
            f"<b>{path.label}</b>: loss {path.losses[0]:.3g} -> {path.losses[-1]:.3g} "
            f"in {path.steps} steps ({self.verdicts[path.optimizer]})"
            for path in self.paths
        )
        self._draw(descent_figure(surface, self.paths))
