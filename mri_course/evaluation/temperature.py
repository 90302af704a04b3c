"""Temperature scaling: one number, fitted on validation, that makes confidences honest.

A network trained to a low loss is usually over-confident: among its "99%" answers fewer
than 99% are right. Guo et al. (2017, "On Calibration of Modern Neural Networks") divide
the logits by a single temperature ``T`` before the softmax and choose ``T`` to minimise
the negative log-likelihood on held-out data. ``T > 1`` softens every prediction, ``T < 1``
sharpens it; the ranking of the classes, so every predicted class and the accuracy, stays
exactly the same.

The course's models end in a softmax, so the logits are recovered as the log of the
probabilities: ``softmax(log p / T) == softmax(z / T)`` because ``log p`` is the logits
minus a constant per row. Probabilities that underflowed to 0 are clipped at
:data:`SMALLEST` first.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

from mri_course.intuition.loss import validate_probabilities

SMALLEST = 1e-30
"""Where a probability that underflowed to 0 is clipped before its log is taken."""
BOUNDS = (0.05, 20.0)
"""The temperatures searched: far wider than any network needs (1 to 3 is typical)."""


def scale_probabilities(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """The probabilities a model would give with its logits divided by ``temperature``."""
    if not temperature > 0:
        raise ValueError(f"the temperature must be positive, got {temperature}")
    logits = np.log(np.clip(validate_probabilities(probabilities), SMALLEST, 1.0))
    return softmax(logits / temperature, axis=-1)


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels``.

    Fit it on held-out scans (the validation split), never on the test sets it will be
    judged on. The search is over ``log T`` (a bounded one-dimensional minimisation), so
    halving and doubling the temperature are equally easy to reach.

    Args:
        probabilities: ``(examples, classes)`` softmax outputs of the model.
        labels: the true class index of each example.

    Returns:
        The fitted temperature, within :data:`BOUNDS`.
    """
    logits = np.log(np.clip(validate_probabilities(probabilities), SMALLEST, 1.0))
    labels = np.asarray(labels)
    if len(labels) != len(logits):
        raise ValueError(f"{len(logits)} predictions but {len(labels)} labels")
    rows = np.arange(len(labels))

    def loss(log_temperature: float) -> float:
        scaled = log_softmax(logits / np.exp(log_temperature), axis=-1)
        return float(-np.mean(scaled[rows, labels]))

    low, high = np.log(BOUNDS)
    found = minimize_scalar(loss, bounds=(low, high), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(found.x))
