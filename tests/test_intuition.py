"""Lesson 04's pure functions: softmax, cross-entropy, descent paths, backprop, range test."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.special import softmax as scipy_softmax

from mri_course.data.index import index_dataset
from mri_course.data.pipeline import make_dataset
from mri_course.intuition.backprop import (
    neuron_gradients,
    neuron_gradients_with_tape,
    neuron_loss,
    training_steps,
)
from mri_course.intuition.descent import (
    DIVERGING,
    GOOD,
    OSCILLATING,
    SLOW,
    adamax_step,
    bowl_1d,
    descent_path,
    describe_path,
    gradient_descent_step,
    momentum_step,
    valley_2d,
)
from mri_course.intuition.loss import cross_entropy, cross_entropy_from_logits, softmax
from mri_course.intuition.range_test import (
    compare_learning_rates,
    cost_table,
    learning_rate_range_test,
    smooth_losses,
)
from mri_course.models.cnn import build_compact_cnn

# --- softmax and cross-entropy -----------------------------------------------------------


def test_softmax_matches_scipy_and_survives_huge_logits():
    logits = np.array([[2.0, 1.0, 0.1, -3.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(softmax(logits), scipy_softmax(logits, axis=-1))
    huge = softmax(np.array([1000.0, 1001.0, 999.0, -1000.0]))
    assert np.all(np.isfinite(huge)) and np.isclose(huge.sum(), 1)
    np.testing.assert_allclose(huge[:3], scipy_softmax([1.0, 2.0, 0.0]), rtol=1e-12)


def test_cross_entropy_from_logits_is_exact_where_the_naive_formula_overflows():
    assert cross_entropy_from_logits(np.array([1000.0, 0.0, 0.0, 0.0]), 1) == pytest.approx(1000)
    assert cross_entropy_from_logits(np.array([1000.0, 0.0, 0.0, 0.0]), 0) == pytest.approx(0)
    logits = np.array([1.5, -0.3, 0.2, 2.0])
    keras_loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    expected = float(keras_loss(np.eye(4)[None, 2], logits[None]))
    assert cross_entropy_from_logits(logits, 2) == pytest.approx(expected, rel=1e-5)


def test_confident_wrong_answers_cost_most():
    unsure = cross_entropy([0.25, 0.25, 0.25, 0.25], 0)
    assert unsure == pytest.approx(np.log(4))
    assert (
        cross_entropy([0.97, 0.01, 0.01, 0.01], 0)
        < unsure
        < cross_entropy([0.01, 0.97, 0.01, 0.01], 0)
    )
    assert np.isfinite(cross_entropy([0.0, 1.0, 0.0, 0.0], 0))


@pytest.mark.parametrize(
    ("probabilities", "says"),
    [
        ([0.5, 0.6, 0.0, 0.0], "sum to 1"),
        ([1.2, -0.2, 0, 0], "between 0 and 1"),
        ([np.nan] * 4, "NaN"),
    ],
)
def test_bad_probabilities_get_a_clear_message(probabilities, says):
    with pytest.raises(ValueError, match=says):
        cross_entropy(probabilities, 0)


# --- optimiser steps ----------------------------------------------------------------------


def test_a_gradient_descent_step_goes_downhill_and_keeps_the_old_weights():
    weights = np.array([1.0, -2.0])
    moved = gradient_descent_step(weights, np.array([0.5, -1.0]), 0.1)
    np.testing.assert_allclose(moved, [0.95, -1.9])
    np.testing.assert_array_equal(weights, [1.0, -2.0])


def _keras_steps(optimizer, gradients, start):
    variable = keras.Variable(np.array(start, dtype="float32"))
    for gradient in gradients:
        optimizer.apply_gradients([(tf.constant(gradient, tf.float32), variable)])
    return np.asarray(variable)


GRADIENTS = [np.array([0.5, -2.0, 0.0]), np.array([-0.1, 3.0, 0.2]), np.array([0.4, 0.4, -1.0])]


def test_adamax_step_is_keras_adamax():
    weights, m, u = np.array([1.0, 2.0, -1.0]), np.zeros(3), np.zeros(3)
    for step, gradient in enumerate(GRADIENTS, start=1):
        weights, m, u = adamax_step(weights, gradient, m, u, step, learning_rate=0.01)
    expected = _keras_steps(keras.optimizers.Adamax(0.01), GRADIENTS, [1.0, 2.0, -1.0])
    np.testing.assert_allclose(weights, expected, rtol=1e-5)


def test_momentum_step_is_keras_sgd_with_momentum():
    weights, velocity = np.array([1.0, 2.0, -1.0]), np.zeros(3)
    for gradient in GRADIENTS:
        weights, velocity = momentum_step(weights, velocity, gradient, 0.05, momentum=0.9)
    expected = _keras_steps(keras.optimizers.SGD(0.05, momentum=0.9), GRADIENTS, [1.0, 2.0, -1.0])
    np.testing.assert_allclose(weights, expected, rtol=1e-5)


# --- learning rate as step size ----------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "verdict"),
    [(0.01, SLOW), (0.3, GOOD), (1.5, OSCILLATING), (1.99, OSCILLATING), (2.5, DIVERGING)],
)
def test_the_four_learning_rate_regimes_on_the_bowl(rate, verdict):
    surface = bowl_1d()
    assert describe_path(descent_path(surface, rate, 30), surface) == verdict


def test_in_a_narrow_valley_momentum_and_adamax_beat_plain_descent():
    valley = valley_2d()
    assert describe_path(descent_path(valley, 0.15, 40), valley) == OSCILLATING
    # near the edge a bounce that has not settled yet is still a bounce, not "slow"
    assert describe_path(descent_path(valley, 0.1995, 40), valley) == OSCILLATING
    plain = descent_path(valley, 0.01, 40, "sgd")
    assert describe_path(plain, valley) == SLOW
    for optimizer in ("momentum", "adamax"):
        faster = descent_path(valley, 0.01 if optimizer == "momentum" else 0.3, 40, optimizer)
        assert faster.losses[-1] < plain.losses[-1] / 5, optimizer


def test_a_diverging_path_stops_instead_of_overflowing():
    path = descent_path(bowl_1d(), 50.0, 1000)
    assert path.steps < 1000 and np.all(np.isfinite(path.points))
    assert describe_path(path, bowl_1d()) == DIVERGING


def test_descent_path_refuses_bad_settings():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        descent_path(bowl_1d(), 0.1, 5, "rmsprop")
    with pytest.raises(ValueError, match="must be positive"):
        descent_path(bowl_1d(), 0.0, 5)


# --- backpropagation ----------------------------------------------------------------------


@pytest.mark.parametrize("target", [0.0, 1.0])
def test_one_neurons_gradient_by_hand_is_what_tensorflow_computes(target):
    weights, bias, inputs = np.array([0.4, -1.2, 0.7]), 0.3, np.array([1.0, 0.5, -2.0])
    by_hand = neuron_gradients(weights, bias, inputs, target)
    with_tape = neuron_gradients_with_tape(weights, bias, inputs, target)
    np.testing.assert_allclose(by_hand[0], with_tape[0], rtol=1e-10)
    assert by_hand[1] == pytest.approx(with_tape[1], rel=1e-10)
    step = 1e-6  # and both agree with the slope measured by finite differences
    nudged = weights + np.array([step, 0, 0])
    slope = (
        neuron_loss(nudged, bias, inputs, target) - neuron_loss(weights, bias, inputs, target)
    ) / step
    assert by_hand[0][0] == pytest.approx(slope, rel=1e-4)


@pytest.fixture(scope="module")
def batches(synthetic):
    records = index_dataset(synthetic.root).in_split("Training")
    return make_dataset(records, 64, 16, training=True, seed=0)


def _tiny_cnn():
    keras.utils.set_random_seed(0)
    return build_compact_cnn(64, widths=(8, 16))


def test_predict_measure_adjust_lowers_the_loss_on_a_real_batch(batches):
    images, labels = next(iter(batches))
    keras.utils.set_random_seed(0)
    model = build_compact_cnn(64, widths=(8, 16), dropout=0.0)
    steps = training_steps(model, images, labels.numpy(), learning_rate=0.02, steps=4)
    assert len(steps.losses) == 5
    assert steps.losses[-1] < steps.losses[0] - 0.1
    assert steps.true_class_probability[-1] > steps.true_class_probability[0]


def test_training_steps_refuse_a_model_with_dropout(batches):
    images, labels = next(iter(batches))
    with pytest.raises(ValueError, match="dropout=0.0"):
        training_steps(_tiny_cnn(), images, labels.numpy(), learning_rate=0.02)


def _separable_batches(batch_size=32, batches=8):
    """Batches of a problem a linear softmax model can learn: the class is argmax(x @ W)."""
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(batch_size * batches, 8)).astype("float32")
    labels = np.eye(4, dtype="float32")[(inputs @ rng.normal(size=(8, 4))).argmax(axis=1)]
    return [
        (inputs[k : k + batch_size], labels[k : k + batch_size])
        for k in range(0, len(inputs), batch_size)
    ]


def _linear_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, activation="softmax")])


def test_the_range_test_sweeps_up_and_stops_when_the_loss_blows_up():
    result = learning_rate_range_test(_linear_model, _separable_batches(), 1e-5, 1e4, steps=40)
    assert np.all(np.diff(result.rates) > 0) and result.rates[0] == pytest.approx(1e-5)
    assert len(result.losses) < 40, "rates up to 10 000 must blow the loss up before the end"
    assert result.smoothed.min() < 0.8 * result.smoothed[0], "the useful rates lower the loss"
    assert 1e-3 < result.min_loss_rate < 100
    assert result.suggested_rate == pytest.approx(result.min_loss_rate / 10)
    assert result.rates[4] <= result.steepest_rate <= result.min_loss_rate
    assert "suggested rate" in result.to_text()


def test_the_range_test_on_a_real_cnn_and_batches(batches):
    result = learning_rate_range_test(_tiny_cnn, batches, 1e-5, 1e4, steps=40)
    assert len(result.losses) < 40 and np.all(np.isfinite(result.smoothed))
    assert result.min_loss_rate in result.rates


def test_a_rate_too_small_never_reaches_the_target(batches):
    runs = compare_learning_rates(_tiny_cnn, batches, [1e-7, 3e-3], steps=12)
    assert [run.rate for run in runs] == [1e-7, 3e-3]
    assert all(len(run.losses) == 12 and run.seconds_per_step > 0 for run in runs)
    target = float(smooth_losses(runs[1].losses)[-1]) + 1e-9
    assert runs[1].steps_to_reach(target) is not None
    assert runs[0].steps_to_reach(target) is None
    table = cost_table(runs, target, steps_per_epoch=3)
    assert "not within 12 steps" in table.splitlines()[2]


def test_smoothing_is_bias_corrected():
    np.testing.assert_allclose(smooth_losses([2.0] * 5), [2.0] * 5)
