"""The figures of lessons 04 and 05 draw what they are given (the widgets redraw them too)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from mri_course.data.index import index_dataset
from mri_course.evaluation.calibration import confident_predictions
from mri_course.evaluation.figures import (
    accuracy_coverage_figure,
    confusion_figure,
    intervals_figure,
    mistakes_gallery,
    reliability_figure,
)
from mri_course.evaluation.predict import Predictions
from mri_course.evaluation.report import EvaluationReport, score_subset
from mri_course.intuition.backprop import TrainingSteps
from mri_course.intuition.descent import bowl_1d, descent_path, valley_2d
from mri_course.intuition.figures import (
    cross_entropy_figure,
    descent_figure,
    minibatch_figure,
    range_test_figure,
    rate_runs_figure,
    training_steps_figure,
)
from mri_course.intuition.range_test import RangeTest, RateRun
from mri_course.intuition.stochastic import biopsy_surface, minibatch_path


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_the_cross_entropy_figure_marks_the_true_class_and_its_loss():
    figure = cross_entropy_figure([0.1, 0.7, 0.1, 0.1], label=1)
    bars, curve = figure.axes
    assert [round(p.get_height(), 2) for p in bars.patches] == [0.1, 0.7, 0.1, 0.1]
    assert "meningioma" in bars.get_title()
    assert f"{-np.log(0.7):.3f}" in curve.get_title()


def _legend(figure) -> list[str]:
    return [text.get_text() for text in figure.legends[0].get_texts()]


@pytest.mark.parametrize("surface", [bowl_1d(), valley_2d()], ids=["1-D", "2-D"])
def test_the_descent_figure_draws_one_path_and_one_loss_curve_per_run(surface):
    paths = [descent_path(surface, rate, 10) for rate in (0.01, 0.1)]
    figure = descent_figure(surface, paths)
    where, loss = figure.axes
    assert len(loss.lines) == 2
    assert _legend(figure)[1].startswith("gradient descent, rate 0.1: ")
    assert not any("sgd" in label for label in _legend(figure))


# The verdict each legend shows, recomputed here from the path's own numbers: did the loss
# grow, fall a hundredfold, and do the steps along the steepest weight flip direction?
VERDICTS = {
    "slow": "too small: slow",
    "good": "good",
    "oscillating": "too large: oscillating",
    "diverging": "too large: diverging",
}


def _verdict_from_the_path(path, surface, steepest: int) -> str:
    best = surface.loss(surface.minimum)
    start, end = path.losses[0] - best, path.losses[-1] - best
    if not np.isfinite(end) or end > start:
        return "diverging"
    if end * 100 <= start:
        return "good"
    steps = np.diff(path.points[:, steepest])
    distance = np.linalg.norm(path.points[0] - surface.minimum)
    signs = np.sign(steps[np.abs(steps) > 0.01 * distance])
    flips = np.count_nonzero(signs[1:] != signs[:-1])
    return "oscillating" if len(signs) >= 3 and flips > (len(signs) - 1) / 2 else "slow"


def _check_the_labels(surface, paths, steepest):
    figure = descent_figure(surface, paths)
    for path, label in zip(paths, _legend(figure), strict=True):
        shown = label.split(": ", 1)[1]
        expected = VERDICTS[_verdict_from_the_path(path, surface, steepest)]
        assert shown.startswith(expected + " ("), f"{label!r}: the path is {expected!r}"
        assert f"→ {path.losses[-1]:.2g})" in shown, f"{label!r}: the path ended elsewhere"
    plt.close(figure)


def test_the_lessons_figures_show_what_their_paths_did():
    """Lesson 04's two descent figures, with the rates the lesson uses: each label agrees with
    its path, and together they show the four regimes the text names."""
    bowl, valley = bowl_1d(), valley_2d()
    lesson_bowl = [descent_path(bowl, rate, 30) for rate in (0.02, 0.5, 1.97, 2.05)]
    lesson_valley = [
        descent_path(valley, 0.01, 40),
        descent_path(valley, 0.019, 40),
        descent_path(valley, 0.005, 40, "momentum"),
        descent_path(valley, 0.2, 40, "adamax"),
    ]
    _check_the_labels(bowl, lesson_bowl, steepest=0)
    _check_the_labels(valley, lesson_valley, steepest=1)
    regimes = [_verdict_from_the_path(path, bowl, 0) for path in lesson_bowl]
    assert regimes == ["slow", "good", "oscillating", "diverging"]
    regimes = [_verdict_from_the_path(path, valley, 1) for path in lesson_valley]
    assert regimes == ["slow", "oscillating", "good", "good"]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adamax"])
@pytest.mark.parametrize("surface", [bowl_1d(), valley_2d()], ids=["1-D", "2-D"])
def test_every_descent_label_agrees_with_its_path(surface, optimizer):
    rates = np.geomspace(1e-3, 3, 13)
    paths = [descent_path(surface, rate, 30, optimizer) for rate in rates]
    _check_the_labels(surface, paths, steepest=surface.dimensions - 1)


def test_the_minibatch_figure_labels_each_path_with_its_steps_and_loss():
    biopsies = biopsy_surface()
    paths = [minibatch_path(biopsies, 1.0, 2, size, seed=0) for size in (None, 16)]
    figure = minibatch_figure(biopsies, paths)
    labels = _legend(figure)
    assert labels[0] == f"gradient descent, rate 1: 2 steps, loss {paths[0].losses[-1]:.3f}"
    assert labels[1] == f"SGD, batches of 16, rate 1: 72 steps, loss {paths[1].losses[-1]:.3f}"
    where, loss = figure.axes
    assert list(loss.lines[1].get_xdata())[-1] == pytest.approx(2.0)  # drawn per epoch
    assert f"{biopsies.loss(biopsies.minimum):.3f}" in loss.get_title()


def test_range_rate_and_training_step_figures():
    rates = np.geomspace(1e-5, 1, 20)
    losses = np.r_[np.linspace(2, 0.5, 15), [0.6, 1, 2, 4, 8]]
    result = RangeTest(rates, losses, losses, float(rates[14]), float(rates[5]))
    axis = range_test_figure(result).axes[0]
    assert axis.get_xscale() == "log" and len(axis.lines) == 4  # 2 curves, 2 marked rates
    runs = [RateRun(1e-3, np.linspace(1.4, 0.6, 30), 0.5), RateRun(1e-5, np.full(30, 1.4), 0.5)]
    assert len(rate_runs_figure(runs).axes[0].lines) == 2
    steps = TrainingSteps([1.4, 1.0, 0.7], [np.eye(4)] * 3, [0.25, 0.4, 0.6], 0.02)
    loss, right = training_steps_figure(steps).axes
    assert list(loss.lines[0].get_ydata()) == [1.4, 1.0, 0.7]


@pytest.fixture
def predictions(synthetic):
    records = tuple(index_dataset(synthetic.root).in_split("Testing")[:6])
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(4), size=len(records))
    return Predictions(records, probabilities)


def test_evaluation_figures(predictions):
    scores = score_subset(predictions, "test")
    report = EvaluationReport(
        "tiny",
        "memory",
        (scores,),
        confident_predictions(predictions.probabilities, predictions.labels),
    )
    assert len(confusion_figure({"a": scores.confusion, "b": scores.confusion}).axes) >= 2
    diagram = reliability_figure(predictions, title="test").axes[0]
    assert diagram.get_title() == "test" and len(diagram.lines) == 2
    axis = intervals_figure([report]).axes[0]
    assert [t.get_text() for t in axis.get_yticklabels()] == [f"tiny: test ({scores.images})"]
    wrong = int((~predictions.correct).sum())
    shown = [a for a in mistakes_gallery(predictions, limit=12).axes if a.images]
    assert len(shown) == wrong
    perfect = Predictions(predictions.records, np.eye(4)[predictions.labels])
    assert "no mistakes" in mistakes_gallery(perfect).axes[0].texts[0].get_text()
    curve = accuracy_coverage_figure(predictions, title="clean").axes[0]
    coverage, accuracy = curve.lines[0].get_data()
    assert coverage[-1] == 1.0 and accuracy[-1] == pytest.approx(predictions.correct.mean())
    assert curve.get_title() == "clean"
