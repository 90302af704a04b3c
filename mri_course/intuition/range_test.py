"""Choosing a learning rate by measurement: the range test, and what a bad rate costs.

The range test (Leslie Smith, 2015; popularised by fastai) trains a fresh model for a few
dozen batches while the learning rate grows exponentially, from far too small to far too
large, and records the loss of every batch. Too small and the loss does not move; in the
useful range it falls fast; too large and it shoots up. A good rate sits a little below
where the loss is lowest, on the steep downhill part.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RangeTest:
    """The losses of a learning-rate range test and the rates they point to."""

    rates: np.ndarray  # the rate used for each batch
    losses: np.ndarray  # each batch's loss
    smoothed: np.ndarray  # the losses, exponentially smoothed (bias-corrected)
    min_loss_rate: float  # where the smoothed loss was lowest
    steepest_rate: float  # where it fell fastest (per factor of rate)

    @property
    def suggested_rate(self) -> float:
        """A tenth of the rate of the lowest loss: fast, but safely below the blow-up."""
        return self.min_loss_rate / 10

    def to_text(self) -> str:
        return (
            f"range test over {len(self.rates)} batches, rates {self.rates[0]:.1e} to "
            f"{self.rates[-1]:.1e}: lowest loss at {self.min_loss_rate:.1e}, steepest fall "
            f"at {self.steepest_rate:.1e}; suggested rate {self.suggested_rate:.1e}"
        )


def smooth_losses(losses: Sequence[float], beta: float = 0.9) -> np.ndarray:
    """Exponential moving average of ``losses``, bias-corrected like Adam's moments."""
    average, smoothed = 0.0, []
    for k, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        smoothed.append(average / (1 - beta**k))
    return np.array(smoothed)


def _batches_forever(batches: Iterable):
    while True:
        yielded = False
        for batch in batches:
            yielded = True
            yield batch
        if not yielded:
            raise ValueError("no batches to train on")


def _adam(rate: float):
    import keras

    return keras.optimizers.Adam(rate)


def learning_rate_range_test(
    build_model: Callable[[], object],
    batches: Iterable,
    min_rate: float = 1e-6,
    max_rate: float = 1.0,
    steps: int = 100,
    stop_factor: float = 4.0,
    optimizer: Callable[[float], object] = _adam,
) -> RangeTest:
    """Train a fresh model with an exponentially growing rate, one batch per rate.

    Args:
        build_model: returns a new, untrained Keras model (each test needs its own).
        batches: ``(images, one-hot labels)`` batches, e.g. a training ``tf.data`` set;
            reused from the start when exhausted.
        min_rate, max_rate: the first and the last rate tried.
        steps: how many batches (and rates) at most.
        stop_factor: stop once the smoothed loss exceeds this times its lowest value: the
            rate is far too large by then and the rest would only be noise.
        optimizer: makes the optimiser from a rate (Adam, as in the CNN's recipe).
    """
    if not 0 < min_rate < max_rate:
        raise ValueError(f"need 0 < min_rate < max_rate, got {min_rate} and {max_rate}")
    if steps < 5:
        raise ValueError(f"a range test needs 5 steps or more, got {steps}")
    model = build_model()
    model.compile(optimizer=optimizer(min_rate), loss="categorical_crossentropy")
    rates = np.geomspace(min_rate, max_rate, steps)
    losses: list[float] = []
    for rate, (images, labels) in zip(rates, _batches_forever(batches), strict=False):
        model.optimizer.learning_rate.assign(rate)
        losses.append(float(model.train_on_batch(images, labels)))
        smoothed = smooth_losses(losses)
        if not np.isfinite(losses[-1]) or smoothed[-1] > stop_factor * smoothed.min():
            break
    smoothed = smooth_losses(losses)
    tried = rates[: len(losses)]
    lowest = int(np.nanargmin(smoothed))
    return RangeTest(
        tried, np.array(losses), smoothed, float(tried[lowest]), _steepest_rate(tried, smoothed)
    )


def _steepest_rate(rates: np.ndarray, smoothed: np.ndarray, beta: float = 0.9) -> float:
    """Where the loss falls fastest per factor of rate, before its lowest point.

    The first ``1 / (1 - beta)`` smoothed values (10) are the moving average still filling
    up, so they are skipped; the slope is then fitted over a window of a tenth of the steps
    (at least three) rather than taken between neighbours, because single batches are noisy.
    """
    lowest = int(np.nanargmin(smoothed))
    window = max(3, len(rates) // 10)
    start = min(round(1 / (1 - beta)), max(lowest + 1 - window, 0))
    if lowest + 1 - start < window:
        return float(rates[lowest])
    logs = np.log10(rates)
    slopes = [
        np.polyfit(logs[k : k + window], smoothed[k : k + window], 1)[0]
        for k in range(start, lowest + 2 - window)
    ]
    return float(rates[start + int(np.argmin(slopes)) + window // 2])


@dataclass(frozen=True)
class RateRun:
    """A short training run at one constant learning rate."""

    rate: float
    losses: np.ndarray  # per batch
    seconds_per_step: float

    def steps_to_reach(self, target: float) -> int | None:
        """The first step whose smoothed loss is at or below ``target`` (None: never)."""
        reached = np.flatnonzero(smooth_losses(self.losses) <= target)
        return int(reached[0]) + 1 if len(reached) else None


def compare_learning_rates(
    build_model: Callable[[], object],
    batches: Iterable,
    rates: Sequence[float],
    steps: int,
    optimizer: Callable[[float], object] = _adam,
) -> list[RateRun]:
    """Train a fresh model for ``steps`` batches at each constant rate, timing each step."""
    runs = []
    for rate in rates:
        model = build_model()
        model.compile(optimizer=optimizer(rate), loss="categorical_crossentropy")
        losses = []
        source = _batches_forever(batches)
        images, labels = next(source)
        model.train_on_batch(images, labels)  # builds the graph: not a training cost
        started = time.perf_counter()
        for _, (images, labels) in zip(range(steps), source, strict=False):
            losses.append(float(model.train_on_batch(images, labels)))
        elapsed = time.perf_counter() - started
        runs.append(RateRun(float(rate), np.array(losses), elapsed / max(len(losses), 1)))
    return runs


def cost_table(runs: Sequence[RateRun], target: float, steps_per_epoch: int) -> str:
    """How long each rate needs to bring the loss down to ``target``, in steps, epochs and
    minutes (at the measured time per step); "not reached" when it never did."""
    lines = [
        f"target loss {target:.2f} ({steps_per_epoch} steps per epoch)",
        f"{'rate':>8} {'final loss':>11} {'steps':>7} {'epochs':>7} {'minutes':>8}",
    ]
    for run in runs:
        needed = run.steps_to_reach(target)
        final = smooth_losses(run.losses)[-1]
        if needed is None:
            never = f"not within {len(run.losses)} steps"
            lines.append(f"{run.rate:>8.0e} {final:>11.3f}  {never}")
        else:
            minutes = needed * run.seconds_per_step / 60
            lines.append(
                f"{run.rate:>8.0e} {final:>11.3f} {needed:>7} {needed / steps_per_epoch:>7.2f} "
                f"{minutes:>8.2f}"
            )
    return "\n".join(lines)
