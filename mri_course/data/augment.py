"""Data augmentation as Keras layers, applied to training images only.

Kept apart from :mod:`mri_course.data.pipeline` (which needs TensorFlow) so the same layers
can also run inside a model on any Keras backend.
"""

from __future__ import annotations

import keras

AUGMENTATIONS = ("none", "light", "full", "robust", "framed")


class RandomGain(keras.layers.Layer):
    """Multiply each image by a random gain, clipped to ``0..255``: a different window level.

    Unlike ``keras.layers.RandomBrightness``, which adds an offset and so turns the black
    background grey (no real scan has that), a gain keeps black black; it is what the stress
    test's "brightness" perturbation does to a scan (``mri_course.audit.stress.brightness``).
    """

    def __init__(self, lower: float, upper: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 < lower <= upper:
            raise ValueError(f"need 0 < lower <= upper, got {lower} and {upper}")
        self.lower, self.upper = lower, upper
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        if not training:
            return images
        batch = keras.ops.shape(images)[0]
        gain = keras.random.uniform(
            (batch, 1, 1, 1), self.lower, self.upper, seed=self.generator, dtype=images.dtype
        )
        return keras.ops.clip(images * gain, 0.0, 255.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "lower": self.lower, "upper": self.upper, "seed": self.seed}


def make_augmentation(seed: int, strength: str = "full") -> keras.Sequential:
    """Random changes a scan could plausibly have had.

    * ``"light"``: mirrored left-right. A flip keeps a brain a brain (an up-down flip would
      not, so it is left out).
    * ``"full"``: also tilted, zoomed and re-windowed (contrast). Rotations and zooms fill
      with black, like the background, rather than reflecting the skull into the corners.
      No brightness shift: it would turn the black background gray, which no real scan has.
    * ``"robust"``: what the stress tests showed the CNN shipped before the mitigations to
      lack (``benchmarks/results/stress_report_before_mitigation.md``): random resized
      crops (a zoom of each axis on its own, 25% in to 20% out, and a shift of up to 6%, so
      framing and aspect vary as they do between the dataset's sources), tilts up to 18
      degrees, contrast about the mean and a gain that keeps black black
      (:class:`RandomGain`). Tried in a 60-epoch CPU run, it lost accuracy on validation:
      ``benchmarks/results/mitigation_report.md``.
    * ``"framed"``: for a model that zooms to the head itself
      (:class:`~mri_course.models.framing.HeadCrop`), which undoes any zoom out or shift:
      left-right flips, tilts up to 11 degrees, zooms in up to 20% (a crop that cuts into
      the head) and a gain that keeps black black. No contrast change: it greys the
      background; the model trained so loses more to a flatter window than one trained
      with ``"light"``. The shipped CNN is trained so, with the layer and label smoothing,
      in a 70-epoch CPU run; the same report shows the layer with ``"light"`` instead.
    * ``"none"``: the images as they are.

    The course's CNN learns faster with ``"light"`` in a CPU-sized run of a dozen epochs,
    compared on the validation set; ``"full"`` needs longer schedules to pay off.
    """
    if strength not in AUGMENTATIONS:
        raise ValueError(f"strength must be one of {AUGMENTATIONS}, got {strength!r}")
    layers = []
    if strength in ("light", "full", "framed"):
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if strength == "full":
        layers += [
            keras.layers.RandomRotation(0.04, fill_mode="constant", seed=seed + 1),
            keras.layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
            keras.layers.RandomContrast(0.2, value_range=(0, 255), seed=seed + 3),
        ]
    if strength == "robust":
        layers += [
            keras.layers.RandomRotation(0.05, fill_mode="constant", seed=seed + 1),
            keras.layers.RandomZoom(
                (-0.25, 0.2), (-0.25, 0.2), fill_mode="constant", seed=seed + 2
            ),
            keras.layers.RandomTranslation(0.06, 0.06, fill_mode="constant", seed=seed + 3),
            keras.layers.RandomContrast(0.3, value_range=(0, 255), seed=seed + 4),
            RandomGain(0.7, 1.4, seed=seed + 5),
        ]
    if strength == "framed":
        layers += [
            keras.layers.RandomRotation(0.03, fill_mode="constant", seed=seed + 1),
            keras.layers.RandomZoom((-0.2, 0.0), fill_mode="constant", seed=seed + 2),
            RandomGain(0.8, 1.25, seed=seed + 3),
        ]
    return keras.Sequential(layers, name=f"augmentation_{strength}")
