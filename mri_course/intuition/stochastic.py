"""Stochastic gradient descent: each step from a few examples instead of all of them.

A training loss is an average over the examples, and so is its gradient. The exact
gradient therefore costs a pass over the whole training set for every single step.
*Stochastic* (mini-batch) gradient descent takes each step from the gradient of a small
random batch instead. That gradient is noisy, but it is an unbiased estimate of the full
one: averaged over all the batches that could be drawn, it *is* the full gradient. So the
steps point downhill on average, and they cost a batch, not a dataset. Keras' ``fit``
works this way: one step per batch, the data shuffled every epoch.

The problem here is small and real: the 569 breast-tumour biopsies that scikit-learn ships
(the Wisconsin diagnostic data, no download), two measurements of each, and the sigmoid
neuron of lesson 04 with two weights and no bias, so that its loss is a map you can draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mri_course.intuition.backprop import sigmoid
from mri_course.intuition.descent import DescentPath, Surface, gradient_descent_step

BIOPSY_FEATURES = ("mean radius", "mean texture")


def logistic_loss(weights: np.ndarray, inputs: np.ndarray, labels: np.ndarray) -> float:
    """Mean binary cross-entropy of the neuron ``sigmoid(inputs @ weights)`` on the examples."""
    scores = np.asarray(inputs, dtype=np.float64) @ np.asarray(weights, dtype=np.float64)
    # -log(sigmoid(z)) = log(1 + exp(-z)), -log(1 - sigmoid(z)) = log(1 + exp(z)): stays finite
    return float(np.mean(np.logaddexp(0.0, scores) - np.asarray(labels) * scores))


def minibatch_gradient(weights: np.ndarray, inputs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The gradient of a sigmoid neuron's mean loss over one mini-batch of examples.

    For one example, the chain rule gave ``(p - y) * x`` (the backpropagation section): the
    error of the prediction ``p = sigmoid(x . w)`` times the example's inputs. A batch's
    loss is the *mean* of its examples' losses, so its gradient is the mean of theirs. The
    mean, not the sum: then a random batch's gradient estimates the gradient over all the
    data whatever the batch's size, and a step does not grow with the batch.

    Args:
        weights: the neuron's weights, shape ``(features,)``.
        inputs: the batch's examples, one per row, shape ``(batch, features)``.
        labels: each example's label, 0 or 1, shape ``(batch,)``.

    Returns:
        A float64 array of shape ``(features,)``: one slope per weight.

    Hints:
        - `inputs @ weights` scores every example at once; `sigmoid` turns the scores into p.
        - Each example's gradient is its error `p - y` times its own inputs.
        - Average over the examples (the rows), so one number per weight remains.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    errors = sigmoid(inputs @ np.asarray(weights, dtype=np.float64)) - np.asarray(labels)
    return errors @ inputs / len(errors)


@dataclass(frozen=True)
class DataSurface(Surface):
    """A loss surface made of data: the mean loss of a model over ``inputs`` and ``labels``."""

    inputs: np.ndarray  # (examples, features)
    labels: np.ndarray  # (examples,)
    features: tuple[str, ...]

    @property
    def examples(self) -> int:
        return len(self.labels)


def _lowest_point(inputs: np.ndarray, labels: np.ndarray, iterations: int = 25) -> np.ndarray:
    """The weights of the lowest loss, by Newton's method (the loss is convex, 2 weights)."""
    weights = np.zeros(inputs.shape[1])
    for _ in range(iterations):
        p = sigmoid(inputs @ weights)
        hessian = (inputs * (p * (1 - p))[:, None]).T @ inputs / len(labels)
        weights = weights - np.linalg.solve(hessian, minibatch_gradient(weights, inputs, labels))
    return weights


def biopsy_surface(
    features: Sequence[str] = BIOPSY_FEATURES, start: Sequence[float] = (-2.0, 4.0)
) -> DataSurface:
    """The loss of a two-weight neuron that tells malignant from benign biopsies.

    Each measurement is standardised (mean 0, standard deviation 1), so both weights work
    on the same scale; the label is 1 for malignant (scikit-learn codes malignant as 0).
    """
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    names = [str(name) for name in data.feature_names]
    unknown = [f for f in features if f not in names]
    if unknown:
        raise ValueError(f"no measurement {unknown}; the data has: {', '.join(names)}")
    raw = data.data[:, [names.index(f) for f in features]]
    inputs = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    labels = (data.target == 0).astype(np.float64)
    return DataSurface(
        name=f"{len(labels)} biopsies: {' and '.join(features)}",
        loss=lambda w: logistic_loss(w, inputs, labels),
        gradient=lambda w: minibatch_gradient(w, inputs, labels),
        minimum=_lowest_point(inputs, labels),
        start=np.array(start, dtype=np.float64),
        extent=6.0,
        inputs=inputs,
        labels=labels,
        features=tuple(features),
    )


def epoch_batches(examples: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's mini-batches: the example indices shuffled, then cut into batches.

    Every example is used once per epoch; the last batch is smaller when ``batch_size``
    does not divide ``examples`` (as in a shuffled ``tf.data`` pipeline).
    """
    order = rng.permutation(examples)
    return [order[k : k + batch_size] for k in range(0, examples, batch_size)]


def minibatch_path(
    surface: DataSurface,
    learning_rate: float,
    epochs: int,
    batch_size: int | None = None,
    seed: int = 0,
) -> DescentPath:
    """Plain gradient steps on ``surface``'s data, each from one mini-batch, for ``epochs``.

    ``batch_size=None`` (or the number of examples) uses every example for each step: full-
    batch gradient descent, one step per epoch. Otherwise each epoch reshuffles the
    examples and takes one step per batch. The loss recorded after each step is the loss
    over *all* the data, so paths of any batch size can be compared, step by step or per
    epoch (``DescentPath.epochs``: the passes over the data made so far).
    """
    if learning_rate <= 0:
        raise ValueError(f"the learning rate must be positive, got {learning_rate}")
    if epochs < 0:
        raise ValueError(f"epochs must be 0 or more, got {epochs}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"a batch holds 1 example or more, got batch_size={batch_size}")
    size = surface.examples if batch_size is None else min(batch_size, surface.examples)
    rng = np.random.default_rng(seed)
    weights = np.array(surface.start, dtype=np.float64)
    points, losses, seen = [weights], [surface.loss(weights)], [0]
    for _ in range(epochs):
        for batch in epoch_batches(surface.examples, size, rng):
            gradient = minibatch_gradient(weights, surface.inputs[batch], surface.labels[batch])
            weights = gradient_descent_step(weights, gradient, learning_rate)
            points.append(weights)
            losses.append(surface.loss(weights))
            seen.append(seen[-1] + len(batch))
    return DescentPath(
        "sgd",
        learning_rate,
        np.array(points),
        np.array(losses),
        batch_size=None if size == surface.examples else size,
        epochs=np.array(seen) / surface.examples,
    )
