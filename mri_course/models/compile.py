"""What a model is trained against: optimizer, loss and the metrics to watch."""

from __future__ import annotations

import keras


def compile_settings(learning_rate: float = 0.001) -> dict:
    """The brief's compile settings, as keyword arguments for ``model.compile``.

    Adamax (a variant of Adam that is steady with sparse, spiky gradients) with a learning
    rate of 0.001; categorical cross-entropy, the "how wrong" of one-hot labels: minus the
    log of the probability given to the right class; and three metrics: accuracy, and
    precision and recall of the one-hot predictions (each probability thresholded at 0.5).

    Args:
        learning_rate: the optimizer's step size.

    Returns:
        ``{"optimizer": ..., "loss": ..., "metrics": [...]}`` with a Keras ``Adamax``, a
        ``CategoricalCrossentropy`` and the metrics named ``accuracy``, ``precision`` and
        ``recall``.

    Hints:
        - `keras.optimizers.Adamax(learning_rate=learning_rate)`.
        - The labels are one-hot vectors: `keras.losses.CategoricalCrossentropy()`.
        - Give each metric its name: `keras.metrics.Precision(name="precision")`.
    """
    return {
        "optimizer": keras.optimizers.Adamax(learning_rate=learning_rate),
        "loss": keras.losses.CategoricalCrossentropy(),
        "metrics": [
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.Precision(name="precision"),
            keras.metrics.Recall(name="recall"),
        ],
    }
