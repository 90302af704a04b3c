"""Data augmentation as Keras layers, applied to training images only.

Kept apart from :mod:`mri_course.data.pipeline` (which needs TensorFlow) so the same layers
can also run inside a model on any Keras backend.
"""

from __future__ import annotations

import keras


def make_augmentation(seed: int) -> keras.Sequential:
    """Random changes a scan could plausibly have had: mirrored, tilted, zoomed, re-windowed.

    A left-right flip keeps a brain a brain; an up-down flip would not, so it is left out.
    Rotations and zooms fill with black, like the background, rather than reflecting the
    skull into the corners. No brightness shift: it would turn the black background gray,
    which no real scan has.
    """
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomRotation(0.04, fill_mode="constant", seed=seed + 1),
            keras.layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
            keras.layers.RandomContrast(0.2, value_range=(0, 255), seed=seed + 3),
        ],
        name="augmentation",
    )
