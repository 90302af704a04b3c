"""Data augmentation as Keras layers, applied to training images only.

Kept apart from :mod:`mri_course.data.pipeline` (which needs TensorFlow) so the same layers
can also run inside a model on any Keras backend.
"""

from __future__ import annotations

import keras

AUGMENTATIONS = ("none", "light", "full")


def make_augmentation(seed: int, strength: str = "full") -> keras.Sequential:
    """Random changes a scan could plausibly have had.

    * ``"light"``: mirrored left-right. A flip keeps a brain a brain (an up-down flip would
      not, so it is left out).
    * ``"full"``: also tilted, zoomed and re-windowed (contrast). Rotations and zooms fill
      with black, like the background, rather than reflecting the skull into the corners.
      No brightness shift: it would turn the black background gray, which no real scan has.
    * ``"none"``: the images as they are.

    The course's CNN learns faster with ``"light"`` in a CPU-sized run of a dozen epochs,
    compared on the validation set; ``"full"`` needs longer schedules to pay off.
    """
    if strength not in AUGMENTATIONS:
        raise ValueError(f"strength must be one of {AUGMENTATIONS}, got {strength!r}")
    layers = []
    if strength in ("light", "full"):
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if strength == "full":
        layers += [
            keras.layers.RandomRotation(0.04, fill_mode="constant", seed=seed + 1),
            keras.layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
            keras.layers.RandomContrast(0.2, value_range=(0, 255), seed=seed + 3),
        ]
    return keras.Sequential(layers, name=f"augmentation_{strength}")
