"""Softmax and categorical cross-entropy, written out in NumPy.

A classifier's last layer gives one raw score (a *logit*) per class. Softmax turns the
scores into probabilities; cross-entropy measures how wrong those probabilities are for
the true class: ``-log(p_true)``. A confident right answer costs almost nothing, a
confident wrong one costs a lot, which is what pushes a network to stop being sure of
wrong answers.

Both are written to stay finite for any logits: exponentials of large scores overflow a
float (``exp(1000)`` is ``inf``), so the largest score is subtracted first, which changes
nothing mathematically.
"""

from __future__ import annotations

import numpy as np

PROBABILITY_TOLERANCE = 1e-3


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
    scores = np.asarray(logits, dtype=np.float64)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


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
    scores = np.asarray(logits, dtype=np.float64)
    top = scores.max()
    log_sum_exp = top + np.log(np.exp(scores - top).sum())
    return float(log_sum_exp - scores[label])


def validate_probabilities(probabilities: np.ndarray, tolerance: float = PROBABILITY_TOLERANCE):
    """The probabilities as a float64 array, or a ValueError saying what is wrong with them."""
    values = np.asarray(probabilities, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no probabilities given")
    if not np.all(np.isfinite(values)):
        raise ValueError("probabilities contain NaN or infinity")
    if np.any(values < 0) or np.any(values > 1):
        raise ValueError("probabilities must lie between 0 and 1; got values outside")
    sums = values.sum(axis=-1)
    if np.any(np.abs(sums - 1) > tolerance):
        worst = float(sums.flat[np.argmax(np.abs(sums - 1))])
        raise ValueError(
            f"probabilities must sum to 1 over the classes (one row per example); a row sums "
            f"to {worst:.4f}. Pass the softmax output, or normalise with p / p.sum()."
        )
    return values


def cross_entropy(probabilities: np.ndarray, label: int) -> float:
    """``-log(p[label])`` for one example's probabilities (e.g. a model's softmax output).

    Probabilities are clipped at 1e-7 (Keras' epsilon) so a zero gives a large finite loss,
    as the Keras loss does.
    """
    values = validate_probabilities(probabilities)
    return float(-np.log(max(values[label], 1e-7)))
