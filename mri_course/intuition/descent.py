"""Gradient descent on small loss surfaces, where every step can be drawn.

A network's loss depends on millions of weights, but the rule that trains it is the same
as on a one- or two-weight surface: look at the slope (the gradient) and step downhill by
*learning rate* times the slope. These surfaces make that rule visible: a rate that is too
small crawls, a good one arrives, a large one overshoots back and forth, a larger one flies
off. Momentum and Adamax, the brief's optimiser, change how the steps are taken.

Every step here uses the exact gradient of the surface, so these paths are plain (full-batch)
*gradient descent*. Taking each step from a random mini-batch of the data instead is
*stochastic* gradient descent: :mod:`.stochastic`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# The update rules, named as Keras names them: "sgd" is ``keras.optimizers.SGD``, the plain
# step ``w - rate * gradient``. It is only *stochastic* when its gradients come from random
# mini-batches; with a surface's exact gradient it is plain gradient descent, and the
# figures call it so (``OPTIMIZER_NAMES``, ``DescentPath.label``).
OPTIMIZERS = ("sgd", "momentum", "adamax")
OPTIMIZER_NAMES = {"sgd": "gradient descent", "momentum": "momentum", "adamax": "Adamax"}
SLOW = "too small: slow"
GOOD = "good"
OSCILLATING = "too large: oscillating"
DIVERGING = "too large: diverging"
GOOD_FALL = 100  # "good": the loss above the minimum fell at least this many times
BLOW_UP = 1e6  # a path this far from the start has left the surface for good


@dataclass(frozen=True)
class Surface:
    """A loss over one or two weights, with its gradient and where its minimum is."""

    name: str
    loss: Callable[[np.ndarray], float]
    gradient: Callable[[np.ndarray], np.ndarray]
    minimum: np.ndarray
    start: np.ndarray
    extent: float  # plots show this half-width around the minimum (2-D: at most, in height)

    @property
    def dimensions(self) -> int:
        return len(self.minimum)


def bowl_1d(curvature: float = 1.0) -> Surface:
    """``loss(w) = curvature / 2 * w**2``: one weight, minimum at 0.

    Plain gradient descent multiplies the distance to the minimum by
    ``1 - learning_rate * curvature`` each step, so it crawls for rates near 0, lands in
    one step at ``1 / curvature``, overshoots back and forth between that and
    ``2 / curvature``, and diverges beyond.
    """
    return Surface(
        name=f"bowl (curvature {curvature:g})",
        loss=lambda w: float(0.5 * curvature * np.sum(np.square(w))),
        gradient=lambda w: curvature * np.asarray(w, dtype=np.float64),
        minimum=np.zeros(1),
        start=np.array([4.0]),
        extent=5.0,
    )


def valley_2d(shallow: float = 1.0, steep: float = 100.0) -> Surface:
    """A long narrow valley: ``loss(x, y) = (shallow * x**2 + steep * y**2) / 2``.

    Real loss surfaces are like this: steep in some directions, nearly flat in others. One
    learning rate must serve both, so a rate small enough not to bounce across the steep
    walls crawls along the flat floor. Momentum and Adamax help with exactly that.

    Plain gradient descent diverges above ``2 / steep`` (0.02 by default) and gains only
    ``shallow * rate`` of the distance along the floor per step below it, so no plain rate
    is fast on a valley a hundred times steeper across than along.
    """
    curvatures = np.array([shallow, steep], dtype=np.float64)
    return Surface(
        name=f"valley (curvatures {shallow:g} and {steep:g})",
        loss=lambda w: float(0.5 * np.sum(curvatures * np.square(w))),
        gradient=lambda w: curvatures * np.asarray(w, dtype=np.float64),
        minimum=np.zeros(2),
        start=np.array([-4.0, 1.5]),
        extent=5.0,
    )


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
    return np.asarray(weights, dtype=np.float64) - learning_rate * np.asarray(gradient)


def momentum_step(
    weights: np.ndarray,
    velocity: np.ndarray,
    gradient: np.ndarray,
    learning_rate: float,
    momentum: float = 0.9,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient descent with momentum, as ``keras.optimizers.SGD(momentum=...)`` does it.

    The step is a running sum of past gradients (``velocity``): steps that keep pointing
    the same way add up and speed along a flat valley floor, steps that flip sign across
    a steep wall cancel out.
    """
    velocity = momentum * np.asarray(velocity) - learning_rate * np.asarray(gradient)
    return np.asarray(weights, dtype=np.float64) + velocity, velocity


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
    gradient = np.asarray(gradient, dtype=np.float64)
    first_moment = beta_1 * np.asarray(first_moment) + (1 - beta_1) * gradient
    largest_gradient = np.maximum(beta_2 * np.asarray(largest_gradient), np.abs(gradient))
    correction = 1 - beta_1**step
    new_weights = np.asarray(weights, dtype=np.float64) - learning_rate * first_moment / (
        correction * (largest_gradient + epsilon)
    )
    return new_weights, first_moment, largest_gradient


@dataclass(frozen=True)
class DescentPath:
    """Where an optimiser went on a surface: the weights and the loss after each step."""

    optimizer: str  # one of OPTIMIZERS
    learning_rate: float
    points: np.ndarray  # (steps taken + 1, dimensions); row 0 is the start
    losses: np.ndarray  # (steps taken + 1,)
    batch_size: int | None = None  # None: every step used the full gradient
    epochs: np.ndarray | None = None  # passes over the data at each point (data surfaces)

    @property
    def steps(self) -> int:
        return len(self.points) - 1

    @property
    def label(self) -> str:
        """What a legend calls the path: "gradient descent" unless mini-batches made it
        stochastic ("SGD, batches of 16")."""
        if self.batch_size is not None:
            return f"SGD, batches of {self.batch_size}"
        return OPTIMIZER_NAMES[self.optimizer]


def descent_path(
    surface: Surface,
    learning_rate: float,
    steps: int,
    optimizer: str = "sgd",
    start: np.ndarray | None = None,
) -> DescentPath:
    """Run ``steps`` updates of ``optimizer`` ("sgd", "momentum" or "adamax") on ``surface``.

    Each step uses the surface's exact gradient, so "sgd" (Keras' name for the plain step)
    makes a path of plain gradient descent here. A path that flies off (further than
    ``BLOW_UP`` from the start) stops there: it has diverged, and the numbers after that
    would only overflow.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    if learning_rate <= 0:
        raise ValueError(f"the learning rate must be positive, got {learning_rate}")
    if steps < 0:
        raise ValueError(f"steps must be 0 or more, got {steps}")
    weights = np.array(surface.start if start is None else start, dtype=np.float64)
    state_a, state_b = np.zeros_like(weights), np.zeros_like(weights)
    points, losses = [weights], [surface.loss(weights)]
    for step in range(1, steps + 1):
        gradient = surface.gradient(weights)
        if optimizer == "sgd":
            weights = gradient_descent_step(weights, gradient, learning_rate)
        elif optimizer == "momentum":
            weights, state_a = momentum_step(weights, state_a, gradient, learning_rate)
        else:
            weights, state_a, state_b = adamax_step(
                weights, gradient, state_a, state_b, step, learning_rate
            )
        points.append(weights)
        losses.append(surface.loss(weights))
        if not np.all(np.abs(weights - points[0]) < BLOW_UP):
            break
    return DescentPath(optimizer, learning_rate, np.array(points), np.array(losses))


def loss_fall(path: DescentPath, surface: Surface) -> float:
    """How many times smaller the loss above the minimum got: its start over its end.

    100 means the path removed 99% of the excess loss; below 1, the loss grew; ``inf``, the
    path reached the minimum exactly; 0, it overflowed.
    """
    best = surface.loss(surface.minimum)
    first, last = path.losses[0] - best, path.losses[-1] - best
    if not np.isfinite(last):
        return 0.0
    return float(first / last) if last > 0 else float("inf")


def bounces(path: DescentPath, surface: Surface) -> bool:
    """True when along some weight the steps flip direction more often than not.

    Only steps longer than 1% of the starting distance to the minimum count: the tiny
    steps of a path that has arrived flip at random and say nothing.
    """
    moves = np.diff(path.points, axis=0)
    scale = 0.01 * max(float(np.linalg.norm(path.points[0] - surface.minimum)), 1e-12)
    for column in moves.T:
        signs = np.sign(column[np.abs(column) > scale])
        if len(signs) >= 3 and np.mean(signs[1:] != signs[:-1]) > 0.5:
            return True
    return False


def describe_path(path: DescentPath, surface: Surface) -> str:
    """Name what a learning rate did: ``DIVERGING``, ``GOOD``, ``OSCILLATING`` or ``SLOW``.

    Judged from the path itself, in this order:

    * diverging: the loss ended higher than it started (or overflowed);
    * good: the loss above the minimum fell at least ``GOOD_FALL`` (100) times within the
      steps taken, whether or not the path bounced on the way. A bounce that shrinks fast
      costs nothing: on the bowl, rate 1.5 lands as fast as 0.5;
    * oscillating: not good, and some weight's steps flip direction more often than not
      (:func:`bounces`): the rate is too large for the steepest direction, and the path
      spends its steps crossing the minimum instead of approaching it;
    * slow: not good, without bouncing: the steps are too short.

    "Too large" and "too small" are exact for plain gradient descent. With momentum a path
    can also bounce because the momentum carries it past the minimum.
    """
    fall = loss_fall(path, surface)
    if fall < 1:
        return DIVERGING
    if fall >= GOOD_FALL:
        return GOOD
    return OSCILLATING if bounces(path, surface) else SLOW
