"""Checks for lesson 04's exercises (loss and learning rate).

Each failure names the mistake in a sentence: the checks compare numbers themselves and
never hand a learner NumPy's array-by-array report.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

LOGITS = np.array([[2.0, 1.0, 0.1, -3.0], [0.5, 0.5, 0.5, 0.5], [-1.0, 4.0, 0.0, 2.5]])


def _reference_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


def _close(found, expected, rtol: float = 1e-6) -> bool:
    found = np.asarray(found, dtype=np.float64)
    return found.shape == np.shape(expected) and bool(np.allclose(found, expected, rtol=rtol))


def _rounded(values) -> str:
    return "[" + ", ".join(f"{v:.3g}" for v in np.ravel(values)) + "]"


def check_softmax(softmax: Callable) -> str:
    single = np.asarray(softmax(LOGITS[0].copy()))
    assert single.shape == (4,), f"one example's 4 scores gave shape {single.shape}; expected (4,)"
    assert np.isclose(single.sum(), 1.0, rtol=1e-6), (
        f"the probabilities of one example sum to {single.sum():.3f}, not 1: divide each "
        "exponential by the sum of all of them"
    )
    assert _close(single, _reference_softmax(LOGITS[0])), (
        f"softmax([2, 1, 0.1, -3]) gave {_rounded(single)}, expected "
        f"{_rounded(_reference_softmax(LOGITS[0]))}: exponentiate each score, then normalise"
    )
    batch = np.asarray(softmax(LOGITS.copy()))
    assert batch.shape == LOGITS.shape, f"a batch of shape {LOGITS.shape} gave {batch.shape}"
    rows = batch.sum(axis=-1)
    if not np.allclose(rows, 1.0, rtol=1e-6):
        if np.isclose(batch.sum(), 1.0):
            reason = "the whole batch sums to 1: you normalised over every score at once"
        elif np.allclose(batch.sum(axis=0), 1.0):
            reason = "each column sums to 1: you normalised across the examples (axis 0)"
        else:
            reason = f"the rows sum to {_rounded(rows)}"
        raise AssertionError(
            f"each row (one example) must sum to 1 on its own, but {reason}; normalise along "
            "the last axis only, with keepdims=True"
        )
    assert _close(batch, _reference_softmax(LOGITS)), (
        "each row sums to 1, but a batch's probabilities differ from those of its rows taken "
        "one at a time: every step must work row by row, along the last axis"
    )
    with np.errstate(all="ignore"):
        huge = np.asarray(softmax(np.array([1000.0, 1001.0, 999.0, -1000.0])))
    assert np.all(np.isfinite(huge)), (
        "softmax([1000, 1001, 999, -1000]) gave NaN: exp(1000) overflows to infinity. "
        "Subtract the largest score first; it does not change the result"
    )
    assert _close(huge[:3], _reference_softmax(np.array([1.0, 2.0, 0.0]))), (
        "softmax([1000, 1001, 999, -1000]) must equal softmax([1, 2, 0, -2000]): only the "
        "differences between scores count"
    )
    return "probabilities that sum to one per example, even for scores of 1000"


def check_cross_entropy_from_logits(cross_entropy_from_logits: Callable) -> str:
    with np.errstate(all="ignore"):
        before = float(cross_entropy_from_logits(np.array([2.0, 1.0, 0.1, -3.0]), 0))
        rival = float(cross_entropy_from_logits(np.array([2.0, 3.0, 0.1, -3.0]), 0))
    assert not np.isclose(before, rival), (
        "raising a wrong class's score left the loss unchanged: it must be -log of the true "
        "class's softmax probability, which every class's score lowers or raises. You left "
        "the softmax out"
    )
    keras_loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    for logits in LOGITS:
        for label in range(4):
            expected = float(keras_loss(np.eye(4)[None, label], logits[None]))
            found = float(cross_entropy_from_logits(logits.copy(), label))
            assert found >= 0, f"a loss is never negative; got {found:.4f} (a sign is missing)"
            if expected > 1e-3 and np.isclose(found * np.log(10), expected, rtol=1e-5):
                raise AssertionError(
                    f"your loss is Keras' divided by 2.303 ({found:.4f} for {expected:.4f}): "
                    "you used log base 10; cross-entropy uses the natural log, np.log"
                )
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
    assert np.array_equal(weights, [1.0, -2.0, 0.5]), (
        "the weights passed in were changed: you updated them in place (weights -= ...); "
        "return a new array, so the caller keeps every step of the path"
    )
    assert moved.shape == weights.shape, f"returned shape {moved.shape}, expected {weights.shape}"
    assert not np.allclose(moved, weights + 0.1 * gradient), (
        "the step went uphill: the gradient points where the loss grows, so subtract it"
    )
    assert not np.allclose(moved, weights - gradient / 0.1), (
        "you divided the gradient by the learning rate: a small rate must make a small step, "
        "so multiply by it"
    )
    assert np.allclose(moved, [0.95, -1.9, 0.5]), (
        f"weights [1, -2, 0.5], gradient [0.5, -1, 0] and rate 0.1 gave {_rounded(moved)}; "
        "expected [0.95, -1.9, 0.5]: one step of the rate times the gradient, downhill"
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
        f"the first step moved the weights by {_rounded(moved)}; Adamax's first step moves "
        "every weight by about the learning rate (0.01), whatever its gradient. Divide by "
        "1 - beta_1**step to correct the zero start of the average"
    )
    weights, m, u = start, zeros, zeros
    for step, gradient in enumerate(gradients, start=1):
        weights, m, u = adamax_step(weights, gradient, m, u, step, learning_rate=0.01)
    expected_u = np.max([0.999 ** (3 - k) * np.abs(g) for k, g in enumerate(gradients, 1)], axis=0)
    assert _close(u, expected_u), (
        "largest_gradient must be max(beta_2 * previous, |gradient|), not an average: it "
        "remembers the largest gradient seen, fading slowly"
    )
    assert _close(weights, _keras_adamax(start, gradients, 0.01), rtol=1e-5), (
        f"after three steps your weights are {_rounded(weights)}, keras.optimizers.Adamax's "
        f"{_rounded(_keras_adamax(start, gradients, 0.01))}"
    )
    return "three steps agree with keras.optimizers.Adamax"


def _tape_gradient(weights, inputs, labels) -> np.ndarray:
    """The gradient of the mean binary cross-entropy, by TensorFlow's autodiff."""
    w = tf.Variable(weights)
    with tf.GradientTape() as tape:
        scores = tf.linalg.matvec(tf.constant(inputs), w)
        losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(labels), logits=scores)
        loss = tf.reduce_mean(losses)
    return tape.gradient(loss, w).numpy()


def check_minibatch_gradient(minibatch_gradient: Callable) -> str:
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(6, 2))
    labels = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    weights = np.array([0.8, -0.5])
    expected = _tape_gradient(weights, inputs, labels)
    found = np.asarray(minibatch_gradient(weights.copy(), inputs.copy(), labels.copy()))
    assert found.shape != (6, 2), (
        "you returned one gradient per example (shape (6, 2)): average them into one "
        "gradient for the batch, one number per weight"
    )
    assert found.shape != (6,), (
        "you returned one number per example (shape (6,)): average over the examples (the "
        "rows, axis 0), not over each example's inputs"
    )
    assert found.shape == (2,), f"6 examples of 2 inputs gave shape {found.shape}; expected (2,)"
    twice = np.asarray(minibatch_gradient(weights, np.tile(inputs, (2, 1)), np.tile(labels, 2)))
    assert not _close(twice, 2 * found), (
        "the same examples taken twice gave twice the gradient: you summed over the batch. "
        "Average instead, so that a batch's gradient estimates the full one whatever its size"
    )
    assert not _close(found, -expected), (
        "the gradient points downhill: the error is the prediction minus the label, p - y, "
        "and the step then subtracts the gradient"
    )
    raw = (inputs @ weights - labels) @ inputs / len(labels)
    assert not _close(found, raw), (
        "you used the raw score x . w as the prediction: the error is the predicted "
        "probability, sigmoid of the score, minus the label"
    )
    assert _close(found, expected, rtol=1e-6), (
        f"a batch of 6 gave {_rounded(found)}; TensorFlow's gradient of the mean loss is "
        f"{_rounded(expected)}"
    )
    return "the mean of the examples' (p - y) x, as TensorFlow differentiates the batch's loss"
