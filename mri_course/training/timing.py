"""What training costs in seconds: time a few steps, extrapolate to an epoch."""

from __future__ import annotations

import math
import time

import keras
import numpy as np


def seconds_per_step(model: keras.Model, batch_size: int, steps: int = 3, seed: int = 0) -> float:
    """Mean seconds of one training step of ``model`` on a random batch.

    The model must be compiled. One warm-up step runs first: it builds the graph, which a
    real epoch pays only once.
    """
    rng = np.random.default_rng(seed)
    size = model.input_shape[1:]
    images = rng.uniform(0, 255, (batch_size, *size)).astype("float32")
    labels = keras.utils.to_categorical(rng.integers(0, 4, batch_size), 4)
    model.train_on_batch(images, labels)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(images, labels)
    return (time.perf_counter() - start) / steps


def seconds_per_epoch(
    model: keras.Model, train_images: int, batch_size: int, steps: int = 3
) -> float:
    """An epoch's training time, from :func:`seconds_per_step` (validation not included)."""
    return seconds_per_step(model, batch_size, steps) * math.ceil(train_images / batch_size)
