"""Gradient descent on small loss surfaces, where every step can be drawn.

A network's loss depends on millions of weights, but the rule that trains it is the same
as on a one- or two-weight surface: look at the slope (the gradient) and step downhill by
*learning rate* times the slope. These surfaces make that rule visible: a rate that is too
small crawls, a good one arrives, a large one overshoots back and forth, a larger one flies
off. Momentum and Adamax, the brief's optimiser, change how the steps are taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "adamax")
SLOW = "too small: slow"
GOOD = "good"
OSCILLATING = "too large: oscillating"
DIVERGING = "too large: diverging"
BLOW_UP = 1e6  # a path this far from the start has left the surface for good


@dataclass(frozen=True)
class Surface:
    """A loss over one or two weights, with its gradient and where its minimum is."""

    name: str
    loss: Callable[[np.ndarray], float]
    gradient: Callable[[np.ndarray], np.ndarray]
    minimum: np.ndarray
    start: np.ndarray
    extent: float  # plots show the square of this half-width around the minimum

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


def valley_2d(shallow: float = 1.0, steep: float = 10.0) -> Surface:
    """A long narrow valley: ``loss(x, y) = (shallow * x**2 + steep * y**2) / 2``.

    Real loss surfaces are like this: steep in some directions, nearly flat in others. One
    learning rate must serve both, so a rate small enough not to bounce across the steep
    walls crawls along the flat floor. Momentum and Adamax help with exactly that.
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

    optimizer: str
    learning_rate: float
    points: np.ndarray  # (steps taken + 1, dimensions); row 0 is the start
    losses: np.ndarray  # (steps taken + 1,)

    @property
    def steps(self) -> int:
        return len(self.points) - 1


def descent_path(
    surface: Surface,
    learning_rate: float,
    steps: int,
    optimizer: str = "sgd",
    start: np.ndarray | None = None,
) -> DescentPath:
    """Run ``steps`` updates of ``optimizer`` ("sgd", "momentum" or "adamax") on ``surface``.

    A path that flies off (further than ``BLOW_UP`` from the start) stops there: it has
    diverged, and the numbers after that would only overflow.
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


def describe_path(path: DescentPath, surface: Surface) -> str:
    """Name what a learning rate did: ``DIVERGING``, ``OSCILLATING``, ``SLOW`` or ``GOOD``.

    In that order of precedence:

    * diverging: the loss ended higher than it started (or overflowed);
    * oscillating: some weight's steps flip direction more often than not (counting steps
      longer than 1% of the starting distance): it bounces across the minimum, whether or
      not it has settled yet;
    * slow: less than 95% of the way down from the starting loss to the minimum;
    * good: none of the above.
    """
    losses = path.losses
    if not np.all(np.isfinite(losses)) or losses[-1] > losses[0]:
        return DIVERGING
    moves = np.diff(path.points, axis=0)
    scale = 0.01 * max(float(np.linalg.norm(path.points[0] - surface.minimum)), 1e-12)
    for column in moves.T:
        signs = np.sign(column[np.abs(column) > scale])
        if len(signs) >= 3 and np.mean(signs[1:] != signs[:-1]) > 0.5:
            return OSCILLATING
    best = surface.loss(surface.minimum)
    if losses[0] > best and (losses[-1] - best) > 0.05 * (losses[0] - best):
        return SLOW
    return GOOD
