"""The lesson 04 widgets: moving a control recomputes the numbers it shows."""

import numpy as np
import pytest

from mri_course.intuition.descent import DIVERGING, GOOD
from mri_course.intuition.loss import cross_entropy
from mri_course.widgets import CrossEntropyExplorer, LearningRateExplorer


def test_moving_a_probability_slider_changes_the_loss():
    explorer = CrossEntropyExplorer(true_class="glioma")
    assert explorer.loss == pytest.approx(np.log(4))
    explorer.sliders["glioma"].value = 0.97
    assert explorer.loss == pytest.approx(cross_entropy(explorer.probabilities, 0))
    assert explorer.loss < np.log(4)
    assert explorer.probabilities.sum() == pytest.approx(1)
    assert f"{explorer.loss:.3f}" in explorer.summary.value


def test_changing_the_true_class_changes_the_loss():
    explorer = CrossEntropyExplorer(true_class="glioma")
    explorer.sliders["glioma"].value = 0.97
    right = explorer.loss
    explorer.true_class.value = "pituitary"
    assert explorer.loss > right + 1
    assert "pituitary" in explorer.summary.value


def test_all_sliders_at_zero_mean_no_information():
    explorer = CrossEntropyExplorer()
    for slider in explorer.sliders.values():
        slider.value = 0.0
    np.testing.assert_allclose(explorer.probabilities, 0.25)


def test_the_learning_rate_slider_changes_what_happens():
    explorer = LearningRateExplorer(surface="1-D bowl", learning_rate=0.3, steps=30)
    assert explorer.verdicts == {"sgd": GOOD}
    explorer.learning_rate.value = 2.5
    assert explorer.verdicts == {"sgd": DIVERGING}
    assert "diverging" in explorer.summary.value


def test_steps_surface_and_optimisers_are_wired():
    explorer = LearningRateExplorer(steps=10)
    assert explorer.paths[0].steps == 10
    explorer.steps.value = 25
    assert explorer.paths[0].steps == 25
    explorer.surface_choice.value = "2-D valley"
    assert explorer.paths[0].points.shape[1] == 2
    explorer.optimizers.value = ("sgd", "momentum", "adamax")
    assert [path.optimizer for path in explorer.paths] == ["sgd", "momentum", "adamax"]
    assert set(explorer.verdicts) == {"sgd", "momentum", "adamax"}
