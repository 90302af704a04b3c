"""Backpropagation, small enough to do by hand, then on a real network and a real batch.

One neuron first: ``p = sigmoid(w . x + b)`` with the loss ``-log p`` for a positive
example and ``-log(1 - p)`` for a negative one. The chain rule gives its gradient in one
line, ``dL/dw = (p - y) x`` and ``dL/db = p - y``, which TensorFlow's automatic
differentiation (``tf.GradientTape``) must reproduce. A network is the same rule applied
layer after layer, from the loss back to the first weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))``, written to stay finite for large negative ``z``."""
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


def neuron_loss(weights: np.ndarray, bias: float, inputs: np.ndarray, target: float) -> float:
    """Binary cross-entropy of one sigmoid neuron on one example (``target`` 0 or 1)."""
    z = float(np.dot(weights, inputs) + bias)
    # -log(sigmoid(z)) = log(1 + exp(-z)); -log(1 - sigmoid(z)) = log(1 + exp(z))
    return float(target * np.logaddexp(0.0, -z) + (1 - target) * np.logaddexp(0.0, z))


def neuron_gradients(
    weights: np.ndarray, bias: float, inputs: np.ndarray, target: float
) -> tuple[np.ndarray, float]:
    """The loss gradient of one neuron by the chain rule: ``((p - y) x, p - y)``.

    ``dL/dp = (p - y) / (p (1 - p))`` and ``dp/dz = p (1 - p)`` cancel into ``p - y``:
    the error of the prediction. Each weight then gets that error times its input.
    """
    error = float(sigmoid(np.dot(weights, inputs) + bias)) - target
    return error * np.asarray(inputs, dtype=np.float64), error


def neuron_gradients_with_tape(
    weights: np.ndarray, bias: float, inputs: np.ndarray, target: float
) -> tuple[np.ndarray, float]:
    """The same gradients from TensorFlow's automatic differentiation, to compare with."""
    import tensorflow as tf

    w = tf.Variable(np.asarray(weights, dtype=np.float64))
    b = tf.Variable(float(bias), dtype=tf.float64)
    x = tf.constant(np.asarray(inputs, dtype=np.float64))
    with tf.GradientTape() as tape:
        z = tf.reduce_sum(w * x) + b
        loss = tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.constant(float(target), tf.float64), logits=z
        )
    grad_w, grad_b = tape.gradient(loss, [w, b])
    return grad_w.numpy(), float(grad_b.numpy())


@dataclass(frozen=True)
class TrainingSteps:
    """Predict, measure the loss, adjust the weights, predict again: once per step."""

    losses: list[float]  # the batch's loss before each step, then after the last
    probabilities: list[np.ndarray]  # the batch's predictions at the same moments
    true_class_probability: list[float]  # mean probability given to the right class
    learning_rate: float


def training_steps(model, images, labels: np.ndarray, learning_rate: float, steps: int = 5):
    """Repeat the brief's loop on one batch: predict, measure, adjust by backprop, again.

    Uses plain gradient descent on every trainable weight (``w -= learning_rate * dL/dw``,
    with the gradients from ``tf.GradientTape``), so nothing is hidden in an optimiser. The
    model runs as in training (batch normalisation normalises with this batch's own
    statistics) but must have no dropout: then the only thing that changes between two
    predictions of the batch is the weights.

    Args:
        model: a Keras classifier ending in softmax, without dropout (e.g.
            ``build_compact_cnn(size, dropout=0.0)``); its weights ARE changed.
        images: a batch, as the model takes it.
        labels: one-hot labels of the batch, shape ``(batch, classes)``.
        learning_rate: the step size.
        steps: how many rounds of predict-measure-adjust.
    """
    import keras
    import tensorflow as tf

    dropping = [layer.name for layer in model.layers if getattr(layer, "rate", 0) > 0]
    if dropping:
        raise ValueError(
            f"{model.name} has dropout ({', '.join(dropping)}): each prediction would switch "
            "off other neurons at random. Build it without, e.g. build_compact_cnn(size, "
            "dropout=0.0)"
        )
    loss_fn = keras.losses.CategoricalCrossentropy()
    labels = np.asarray(labels, dtype=np.float32)
    losses, probabilities, right = [], [], []

    def record(predicted) -> None:
        predicted = np.asarray(predicted)
        probabilities.append(predicted)
        losses.append(float(loss_fn(labels, predicted)))
        right.append(float(np.mean(np.sum(predicted * labels, axis=1))))

    for _ in range(steps):
        with tf.GradientTape() as tape:
            predicted = model(images, training=True)
            loss = loss_fn(labels, predicted)
        record(predicted)
        gradients = tape.gradient(loss, model.trainable_variables)
        for variable, gradient in zip(model.trainable_variables, gradients, strict=True):
            if gradient is not None:
                variable.assign_sub(learning_rate * gradient)
    record(model(images, training=True))
    return TrainingSteps(losses, probabilities, right, learning_rate)
