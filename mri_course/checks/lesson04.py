"""Checks for lesson 04's exercises (loss and learning rate)."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

LOGITS = np.array([[2.0, 1.0, 0.1, -3.0], [0.5, 0.5, 0.5, 0.5], [-1.0, 4.0, 0.0, 2.5]])


def _reference_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


def check_softmax(softmax: Callable) -> str:
    single = np.asarray(softmax(LOGITS[0].copy()))
    assert single.shape == (4,), f"one example's 4 scores gave shape {single.shape}; expected (4,)"
    np.testing.assert_allclose(
        single,
        _reference_softmax(LOGITS[0]),
        rtol=1e-6,
        err_msg="softmax([2, 1, 0.1, -3]) is wrong: exp(score) / sum of exp(scores)",
    )
    batch = np.asarray(softmax(LOGITS.copy()))
    assert batch.shape == LOGITS.shape, f"a batch of shape {LOGITS.shape} gave {batch.shape}"
    np.testing.assert_allclose(
        batch.sum(axis=-1),
        1.0,
        rtol=1e-6,
        err_msg="each row (example) must sum to 1: normalise along the last axis only",
    )
    np.testing.assert_allclose(batch, _reference_softmax(LOGITS), rtol=1e-6)
    with np.errstate(all="ignore"):
        huge = np.asarray(softmax(np.array([1000.0, 1001.0, 999.0, -1000.0])))
    assert np.all(np.isfinite(huge)), (
        f"softmax([1000, 1001, 999, -1000]) gave {huge}: exp(1000) overflows to inf. Subtract "
        "the largest score first; it does not change the result"
    )
    np.testing.assert_allclose(huge[:3], _reference_softmax(np.array([1.0, 2.0, 0.0])), rtol=1e-6)
    return "probabilities that sum to one per example, even for scores of 1000"


def check_cross_entropy_from_logits(cross_entropy_from_logits: Callable) -> str:
    keras_loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    for logits in LOGITS:
        for label in range(4):
            expected = float(keras_loss(np.eye(4)[None, label], logits[None]))
            found = float(cross_entropy_from_logits(logits.copy(), label))
            assert found >= 0, f"a loss is never negative; got {found:.4f} (a sign is missing)"
            assert np.isclose(found, expected, rtol=1e-5), (
                f"logits {logits.tolist()}, true class {label}: got {found:.4f}, Keras gives "
                f"{expected:.4f} (-log of the true class's softmax probability, natural log)"
            )
    with np.errstate(all="ignore"):
        far = float(cross_entropy_from_logits(np.array([1000.0, 0.0, 0.0, 0.0]), 1))
    assert np.isfinite(far), (
        "logits [1000, 0, 0, 0] with true class 1 gave an infinite loss: its softmax "
        "probability, exp(-1000), rounds to 0. Compute log-sum-exp(logits) - logits[label]"
    )
    assert np.isclose(far, 1000.0, rtol=1e-9), f"expected a loss of 1000, got {far}"
    return "matches Keras, and stays exact for logits of 1000"


def check_gradient_descent_step(gradient_descent_step: Callable) -> str:
    weights = np.array([1.0, -2.0, 0.5])
    gradient = np.array([0.5, -1.0, 0.0])
    moved = np.asarray(gradient_descent_step(weights, gradient, 0.1))
    np.testing.assert_array_equal(
        weights,
        [1.0, -2.0, 0.5],
        err_msg="the weights passed in were changed: return new weights (weights - ...), "
        "do not update them in place (weights -= ...)",
    )
    assert moved.shape == weights.shape, f"returned shape {moved.shape}, expected {weights.shape}"
    uphill = weights + 0.1 * gradient
    assert not np.allclose(moved, uphill), (
        "the step went uphill: the gradient points where the loss grows, so subtract it"
    )
    np.testing.assert_allclose(
        moved,
        [0.95, -1.9, 0.5],
        err_msg="weights [1, -2, 0.5], gradient [0.5, -1, 0], rate 0.1 should give "
        "[0.95, -1.9, 0.5]: weights - learning_rate * gradient",
    )
    return "one step downhill, of learning rate times the gradient"


def _keras_adamax(start, gradients, rate):
    optimizer = keras.optimizers.Adamax(rate)
    variable = keras.Variable(np.array(start, dtype="float32"))
    for gradient in gradients:
        optimizer.apply_gradients([(tf.constant(gradient, tf.float32), variable)])
    return np.asarray(variable)


def check_adamax_step(adamax_step: Callable) -> str:
    start = np.array([1.0, 2.0, -1.0])
    gradients = [np.array([0.5, -2.0, 0.001]), np.array([-0.1, 3.0, 0.2]), np.array([0.4, 0.4, -1])]
    zeros = np.zeros(3)
    first = adamax_step(start, gradients[0], zeros, zeros, 1, learning_rate=0.01)
    assert isinstance(first, tuple) and len(first) == 3, (
        "return (new_weights, new_first_moment, new_largest_gradient)"
    )
    moved = np.abs(np.asarray(first[0]) - start)
    assert np.allclose(moved, 0.01, rtol=1e-3), (
        f"the first step moved the weights by {moved.round(5).tolist()}; Adamax's first step "
        "moves every weight by about the learning rate (0.01), whatever its gradient. Divide "
        "by 1 - beta_1**step to correct the zero start of the average"
    )
    weights, m, u = start, zeros, zeros
    for step, gradient in enumerate(gradients, start=1):
        weights, m, u = adamax_step(weights, gradient, m, u, step, learning_rate=0.01)
    expected_u = np.max([0.999 ** (3 - k) * np.abs(g) for k, g in enumerate(gradients, 1)], axis=0)
    np.testing.assert_allclose(
        u,
        expected_u,
        rtol=1e-6,
        err_msg="largest_gradient must be max(beta_2 * previous, |gradient|), not an average",
    )
    np.testing.assert_allclose(
        weights,
        _keras_adamax(start, gradients, 0.01),
        rtol=1e-5,
        err_msg="after three steps the weights differ from keras.optimizers.Adamax",
    )
    return "three steps agree with keras.optimizers.Adamax"
