"""Lesson 04 exercises: loss and learning rate.

Replace each `raise NotImplementedError(...)` with your code, then run the exercise's
check in lessons/04_loss_and_learning_rate.ipynb (or `mri-course progress`). Until you do, the
lesson runs the reference solution, so it never stops half-way. When you are done,
compare with solutions/exercises/lesson04.py.

Generated from the package's reference code by `python -m mri_course.exercises.generate`.
"""

# ruff: noqa: F401  (the imports are tools you may want; not every one is needed)

from __future__ import annotations

import numpy as np

from mri_course.exercises.runtime import exercise
from mri_course.intuition.backprop import sigmoid


@exercise("4.1")
def softmax(logits: np.ndarray) -> np.ndarray:
    """Turn raw class scores into probabilities that are positive and sum to one.

    ``softmax(z)_k = exp(z_k) / sum_j exp(z_j)``. Adding the same number to every score
    does not change the result, so subtract the largest score first: the biggest
    exponential is then ``exp(0) = 1`` and nothing overflows, even for scores of 1000.

    Args:
        logits: scores along the last axis, shape ``(classes,)`` or ``(batch, classes)``.

    Returns:
        A float64 array of the same shape whose last axis sums to 1.

    Hints:
        - Subtract the largest score of each row: `logits.max(axis=-1, keepdims=True)`.
        - Exponentiate, then divide by the sum over the last axis (again `keepdims=True`).
    """
    raise NotImplementedError("Exercise 4.1: write softmax here")


@exercise("4.2")
def cross_entropy_from_logits(logits: np.ndarray, label: int) -> float:
    """Categorical cross-entropy of one prediction, straight from its raw scores.

    The loss is ``-log(softmax(z)[label])``. Written out, that is
    ``log(sum_j exp(z_j)) - z_label``: the log-sum-exp of the scores minus the true class's
    score. Computing it this way, with the largest score taken out of the log-sum-exp,
    stays exact when the softmax probability is too small to store (``exp(-1000)`` is 0 in
    float64, and ``-log(0)`` would be infinite).

    Args:
        logits: the raw scores of one example, shape ``(classes,)``.
        label: the index of the true class.

    Returns:
        The loss as a Python float (0 for a certain right answer, large for a confident
        wrong one).

    Hints:
        - -log(softmax(z)[k]) = log(sum(exp(z))) - z[k]: no probability needs storing.
        - log(sum(exp(z))) = top + log(sum(exp(z - top))) with `top = z.max()`.
        - Return a Python float: `float(...)`.
    """
    raise NotImplementedError("Exercise 4.2: write cross_entropy_from_logits here")


@exercise("4.3")
def gradient_descent_step(
    weights: np.ndarray, gradient: np.ndarray, learning_rate: float
) -> np.ndarray:
    """One step of plain gradient descent: move against the gradient, scaled by the rate.

    The gradient points uphill, the way the loss grows fastest, so the step goes the other
    way: ``new_weights = weights - learning_rate * gradient``. The learning rate is the
    step size: too small and training crawls, too large and it overshoots the minimum.

    Args:
        weights: the current weights (any shape).
        gradient: the gradient of the loss at ``weights`` (same shape).
        learning_rate: the step size, a positive number such as 0.001.

    Returns:
        A new float64 array of updated weights; ``weights`` itself is left unchanged, so
        the caller can keep the path of every step.

    Hints:
        - The gradient points uphill: step the other way, `weights - learning_rate * ...`.
        - Build a new array; `weights -= ...` would change the caller's array too.
    """
    raise NotImplementedError("Exercise 4.3: write gradient_descent_step here")


@exercise("4.4")
def adamax_step(
    weights: np.ndarray,
    gradient: np.ndarray,
    first_moment: np.ndarray,
    largest_gradient: np.ndarray,
    step: int,
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One update of Adamax, the brief's optimiser, exactly as Keras computes it.

    Adamax keeps two numbers per weight: ``first_moment``, a running average of the
    gradients (momentum: a direction that persists), and ``largest_gradient``, a slowly
    fading maximum of their sizes. Each weight moves by ``learning_rate`` times its
    average gradient divided by its largest one, so every weight takes steps of about the
    learning rate, whether its gradients are huge or tiny. Early averages start at zero
    and are too small, so the step is divided by ``1 - beta_1**step`` to correct that.

    In formulas (``g`` the gradient, ``t`` the step, counted from 1)::

        m = beta_1 * m + (1 - beta_1) * g
        u = max(beta_2 * u, |g|)
        w = w - learning_rate / (1 - beta_1**t) * m / (u + epsilon)

    Args:
        weights: the current weights.
        gradient: the gradient of the loss at ``weights``.
        first_moment: ``m`` from the previous step (zeros before the first step).
        largest_gradient: ``u`` from the previous step (zeros before the first step).
        step: the number of this step, starting at 1.
        learning_rate: the step size (the brief uses 0.001).
        beta_1: how slowly the average gradient forgets (0.9).
        beta_2: how slowly the largest gradient fades (0.999).
        epsilon: keeps the division finite when a gradient is zero.

    Returns:
        ``(new_weights, new_first_moment, new_largest_gradient)``, new arrays.

    Hints:
        - Follow the three formulas of the docstring in order: m, then u, then w.
        - `np.maximum(a, b)` takes the larger value element by element.
        - The bias correction divides by `1 - beta_1**step` (step counts from 1).
    """
    raise NotImplementedError("Exercise 4.4: write adamax_step here")


@exercise("4.5")
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
    raise NotImplementedError("Exercise 4.5: write minibatch_gradient here")
