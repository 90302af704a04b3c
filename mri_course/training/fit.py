"""One ``fit`` for every model: the callbacks that make a long run safe and its result the best."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import keras
import tensorflow as tf

from mri_course.io import fsync_file
from mri_course.training.leftovers import run_temporary


class EpochTimer(keras.callbacks.Callback):
    """Records how long each epoch took (the model card reports the mean)."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


class BestCheckpoint(keras.callbacks.Callback):
    """Saves the model whenever the validation loss improves, atomically.

    Keras' ``ModelCheckpoint`` writes straight into its file, so a crash during a save
    would leave a broken "best" model. Here each save goes to a temporary file that only
    replaces the checkpoint once it is complete.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.best = math.inf

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("val_loss")
        if loss is None or loss >= self.best:
            return
        self.best = loss
        temporary = run_temporary(self.path, suffix=".keras")
        try:
            self.model.save(temporary)
            fsync_file(temporary)
            os.replace(temporary, self.path)
        finally:
            temporary.unlink(missing_ok=True)


def training_callbacks(
    checkpoint: Path | None, patience: int, reduce_on_plateau: bool, verbose: int = 1
) -> list[keras.callbacks.Callback]:
    """Best checkpoint on validation, early stopping back to the best epoch, LR schedule.

    * :class:`BestCheckpoint` keeps the best model so far on disk: a crash after hours of
      training still leaves the best epoch behind.
    * ``EarlyStopping`` stops when the validation loss has not improved for ``patience``
      epochs, and restores the weights of the best epoch either way.
    * A learning-rate schedule: ``ReduceLROnPlateau`` halves a constant rate when the
      validation loss stalls (recipes with a cosine schedule carry it in the optimizer).
    """
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True, verbose=verbose
        )
    ]
    if checkpoint is not None:
        callbacks.append(BestCheckpoint(checkpoint))
    if reduce_on_plateau:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=0.5, patience=2, verbose=verbose
            )
        )
    return callbacks


def fit(
    model: keras.Model,
    train,
    val,
    epochs: int,
    patience: int,
    checkpoint: Path | None = None,
    reduce_on_plateau: bool = False,
    verbose: int = 1,
) -> tuple[dict, list[float]]:
    """Train ``model`` and return its history (per-epoch metrics) and epoch durations.

    ``train`` and ``val`` are ``tf.data`` datasets of ``(images, labels)`` batches, or
    ``(inputs, labels)`` tuples of arrays (for a head trained on cached features).
    """
    timer = EpochTimer()
    callbacks = [*training_callbacks(checkpoint, patience, reduce_on_plateau, verbose), timer]
    inputs, labels = train if isinstance(train, tuple) else (train, None)
    history = model.fit(
        inputs,
        labels,
        validation_data=val,
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
        shuffle=labels is not None,  # arrays are shuffled here; datasets shuffle themselves
    )
    clean = {key: [float(v) for v in values] for key, values in history.history.items()}
    return clean, timer.seconds


def distribution_strategy(gpus: list | None = None) -> tf.distribute.Strategy:
    """``MirroredStrategy`` over every GPU when there are several, else the default.

    Each GPU gets a copy of the model and a slice of every batch; the gradients are
    averaged. Build *and compile* the model inside ``strategy.scope()``: the optimizer and
    the metrics hold variables too.
    """
    gpus = tf.config.list_physical_devices("GPU") if gpus is None else gpus
    return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
