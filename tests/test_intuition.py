"""Lesson 04's pure functions: softmax, cross-entropy, descent paths (full-batch and
stochastic), backprop, range test."""

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
    GOOD_FALL,
    OSCILLATING,
    SLOW,
    adamax_step,
    bounces,
    bowl_1d,
    descent_path,
    describe_path,
    gradient_descent_step,
    loss_fall,
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
from mri_course.intuition.stochastic import (
    biopsy_surface,
    epoch_batches,
    logistic_loss,
    minibatch_gradient,
    minibatch_path,
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
    [
        (0.01, SLOW),
        (0.3, GOOD),
        (1.5, GOOD),  # bounces, but halves the distance each step: as fast as 0.5
        (1.97, OSCILLATING),  # bounces and keeps 97% of the distance each step
        (1.99, OSCILLATING),
        (2.5, DIVERGING),
    ],
)
def test_the_four_learning_rate_regimes_on_the_bowl(rate, verdict):
    surface = bowl_1d()
    assert describe_path(descent_path(surface, rate, 30), surface) == verdict


def test_a_verdict_follows_the_loss_the_path_reached():
    """The issue's case: a bouncing path that ends far lower than the others is not called
    worse than them."""
    bowl = bowl_1d()
    bouncing, crawling = descent_path(bowl, 1.85, 30), descent_path(bowl, 0.02, 30)
    assert bounces(bouncing, bowl) and not bounces(crawling, bowl)
    assert loss_fall(bouncing, bowl) > GOOD_FALL > loss_fall(crawling, bowl)
    assert describe_path(bouncing, bowl) == GOOD
    valley = valley_2d(steep=10)  # the valley of the issue: 0.15 is near 2 / (1 + 10)
    assert describe_path(descent_path(valley, 0.15, 40), valley) == GOOD
    assert loss_fall(descent_path(bowl, 2.05, 30), bowl) < 1


def test_in_a_narrow_valley_no_plain_rate_is_fast_but_momentum_and_adamax_are():
    valley = valley_2d()  # a hundred times steeper across than along
    rates = np.linspace(0.001, 0.0199, 60)
    plain = [descent_path(valley, rate, 40) for rate in rates]
    assert max(loss_fall(path, valley) for path in plain) < GOOD_FALL
    assert describe_path(descent_path(valley, 0.01, 40), valley) == SLOW
    assert describe_path(descent_path(valley, 0.019, 40), valley) == OSCILLATING
    # near the edge a bounce that has not settled yet is still a bounce, not "slow"
    assert describe_path(descent_path(valley, 0.01995, 40), valley) == OSCILLATING
    assert describe_path(descent_path(valley, 0.021, 40), valley) == DIVERGING
    for optimizer, rate in (("momentum", 0.005), ("adamax", 0.2)):
        assert describe_path(descent_path(valley, rate, 40, optimizer), valley) == GOOD


def test_paths_are_named_for_what_they_did():
    valley = valley_2d()
    assert descent_path(valley, 0.01, 3).label == "gradient descent"
    assert descent_path(valley, 0.01, 3, "adamax").label == "Adamax"
    assert minibatch_path(biopsy_surface(), 1.0, 1, batch_size=16).label == "SGD, batches of 16"
    assert minibatch_path(biopsy_surface(), 1.0, 1).label == "gradient descent"


def test_a_diverging_path_stops_instead_of_overflowing():
    path = descent_path(bowl_1d(), 50.0, 1000)
    assert path.steps < 1000 and np.all(np.isfinite(path.points))
    assert describe_path(path, bowl_1d()) == DIVERGING


def test_descent_path_refuses_bad_settings():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        descent_path(bowl_1d(), 0.1, 5, "rmsprop")
    with pytest.raises(ValueError, match="must be positive"):
        descent_path(bowl_1d(), 0.0, 5)


# --- stochastic gradient descent ---------------------------------------------------------


@pytest.fixture(scope="module")
def biopsies():
    return biopsy_surface()


def test_the_biopsy_surface_is_real_data_with_its_lowest_point_found(biopsies):
    assert biopsies.inputs.shape == (569, 2) and set(np.unique(biopsies.labels)) == {0.0, 1.0}
    assert biopsies.labels.sum() == 212  # malignant biopsies in the Wisconsin data
    np.testing.assert_allclose(biopsies.inputs.mean(axis=0), 0, atol=1e-12)
    assert np.linalg.norm(biopsies.gradient(biopsies.minimum)) < 1e-10
    nearby = biopsies.minimum + np.array([[0.1, 0], [0, 0.1], [-0.1, 0], [0, -0.1]])
    assert all(biopsies.loss(w) > biopsies.loss(biopsies.minimum) for w in nearby)


def test_the_minibatch_gradient_is_what_tensorflow_differentiates(biopsies):
    batch = np.arange(10, 42)
    weights = np.array([0.5, -1.5])
    inputs = tf.constant(biopsies.inputs[batch])
    w = tf.Variable(weights)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(
            tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.constant(biopsies.labels[batch]), logits=tf.linalg.matvec(inputs, w)
            )
        )
    expected = tape.gradient(loss, w).numpy()
    found = minibatch_gradient(weights, biopsies.inputs[batch], biopsies.labels[batch])
    np.testing.assert_allclose(found, expected, rtol=1e-10)
    assert float(loss) == pytest.approx(
        logistic_loss(weights, biopsies.inputs[batch], biopsies.labels[batch]), rel=1e-12
    )


def test_a_minibatch_gradient_is_an_unbiased_estimate_of_the_full_one(biopsies):
    weights, everyone = biopsies.start, np.arange(biopsies.examples)
    full = minibatch_gradient(weights, biopsies.inputs, biopsies.labels)
    # an epoch of equal batches averages to the full gradient exactly...
    batches = epoch_batches(568, 8, np.random.default_rng(0))
    average = np.mean([minibatch_gradient(weights, *_batch(biopsies, b)) for b in batches], 0)
    np.testing.assert_allclose(
        average, minibatch_gradient(weights, *_batch(biopsies, everyone[:568]))
    )
    # ...and random batches do on average, each off by a spread that shrinks like 1/sqrt(size)
    rng = np.random.default_rng(0)
    spreads = {}
    for size in (4, 64):
        draws = [rng.choice(biopsies.examples, size, replace=False) for _ in range(3000)]
        gradients = np.array([minibatch_gradient(weights, *_batch(biopsies, d)) for d in draws])
        assert np.linalg.norm(gradients.mean(axis=0) - full) < 0.1 * np.linalg.norm(full)
        spreads[size] = np.sqrt(np.mean(np.sum((gradients - full) ** 2, axis=1)))
    assert 3 < spreads[4] / spreads[64] < 5  # sqrt(16) = 4


def _batch(surface, indices):
    return surface.inputs[indices], surface.labels[indices]


def test_an_epoch_uses_every_example_once():
    batches = epoch_batches(10, 4, np.random.default_rng(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))
    again = epoch_batches(10, 4, np.random.default_rng(1))
    assert not all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))


def test_full_batch_is_gradient_descent_and_mini_batches_get_further_per_epoch(biopsies):
    full = minibatch_path(biopsies, 1.0, epochs=5)
    plain = descent_path(biopsies, 1.0, 5)
    np.testing.assert_allclose(full.points, plain.points)
    np.testing.assert_allclose(full.epochs, np.arange(6))
    small = minibatch_path(biopsies, 1.0, epochs=5, batch_size=16, seed=0)
    assert small.steps == 5 * 36 and small.epochs[-1] == pytest.approx(5)
    best = biopsies.loss(biopsies.minimum)
    assert small.losses[-1] - best < (full.losses[-1] - best) / 100
    again = minibatch_path(biopsies, 1.0, epochs=5, batch_size=16, seed=0)
    np.testing.assert_array_equal(small.points, again.points)  # seeded: the same path


def test_minibatch_path_refuses_bad_settings(biopsies):
    with pytest.raises(ValueError, match="must be positive"):
        minibatch_path(biopsies, 0.0, 1)
    with pytest.raises(ValueError, match="1 example or more"):
        minibatch_path(biopsies, 1.0, 1, batch_size=0)
    with pytest.raises(ValueError, match="no measurement"):
        biopsy_surface(features=("mean radius", "tumour colour"))


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
