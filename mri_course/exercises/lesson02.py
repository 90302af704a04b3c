"""Lesson 02 exercises: transfer learning with xception.

Replace each `raise NotImplementedError(...)` with your code, then run the exercise's
check in lessons/02_transfer_learning.ipynb (or `mri-course progress`). Until you do, the
lesson runs the reference solution, so it never stops half-way. When you are done,
compare with solutions/exercises/lesson02.py.

Generated from the package's reference code by `python -m mri_course.exercises.generate`.
"""

# ruff: noqa: F401  (the imports are tools you may want; not every one is needed)

from __future__ import annotations

import keras
from keras import layers

from mri_course.data.release import CLASS_NAMES
from mri_course.exercises.runtime import exercise
from mri_course.models.transfer import xception_block_of


@exercise("2.1")
def classification_head(features: keras.KerasTensor) -> keras.KerasTensor:
    """The brief's head on top of the base's features: 128 neurons, then 4.

    Flatten the features into one vector; drop 30% of them at random while training (so no
    single feature is relied on); 128 ReLU neurons look for patterns that point to a
    tumour type; drop 25% of those; 4 softmax neurons give one probability per class.

    Args:
        features: the base's output, e.g. the 2048 max-pooled Xception features.

    Returns:
        The class probabilities, shape ``(batch, 4)``. The layers are named
        ``head_flatten``, ``head_dropout1``, ``head_dense``, ``head_dropout2`` and
        ``probabilities``.

    Hints:
        - Each layer is called on the previous output: `x = layers.Flatten(name=...)(x)`.
        - Dropout takes the share to drop: `layers.Dropout(0.3, name="head_dropout1")`.
        - The last layer needs `activation="softmax"` and `len(CLASS_NAMES)` units.
    """
    raise NotImplementedError("Exercise 2.1: write classification_head here")


@exercise("2.2")
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
    raise NotImplementedError("Exercise 2.2: write compile_settings here")


@exercise("2.3")
def unfreeze_top_blocks(model: keras.Model, blocks: int) -> keras.Model:
    """Freeze the Xception base except its top ``blocks`` blocks; the head stays trainable.

    Fine-tuning only the top blocks adapts the most specific features (parts, textures) to
    MRI while keeping the general ones (edges) from ImageNet, and costs far less than
    training every layer. Batch normalisation layers stay frozen everywhere: unfrozen, they
    would re-estimate their statistics from small batches and undo the pretrained weights.

    Args:
        model: a model from :func:`build_transfer_model`.
        blocks: how many of the last Xception blocks to train (0 freezes the whole base).

    Returns:
        The same model, with each layer's ``trainable`` set.

    Hints:
        - `xception_block_of(model)` maps each base layer's name to its block.
        - The top blocks are the last `blocks` of the sorted block names (sort by number:
          block9 comes before block10).
        - Every layer gets `layer.trainable = ...`: base layers by their block (never a
          BatchNormalization), head layers True, the rest False.
    """
    raise NotImplementedError("Exercise 2.3: write unfreeze_top_blocks here")
