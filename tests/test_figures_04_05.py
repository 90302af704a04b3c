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
    range_test_figure,
    rate_runs_figure,
    training_steps_figure,
)
from mri_course.intuition.range_test import RangeTest, RateRun


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


@pytest.mark.parametrize("surface", [bowl_1d(), valley_2d()], ids=["1-D", "2-D"])
def test_the_descent_figure_draws_one_path_and_one_loss_curve_per_run(surface):
    paths = [descent_path(surface, rate, 10) for rate in (0.01, 0.1)]
    where, loss = descent_figure(surface, paths).axes
    assert len(loss.lines) == 2
    assert [text.get_text() for text in where.get_legend().get_texts()][1].startswith(
        "sgd, rate 0.1"
    )


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
