"""Every method behind one call: ``saliency_maps(model, images, "gradcam")``.

=============  ======================================  ======================
method         raw map                                 brain mask
=============  ======================================  ======================
``brief``      gradient of the softmax probability     the brief's fixed circle
``gradient``   gradient of the logit                   computed from the image
``smoothgrad`` SmoothGrad of the logit                 computed from the image
``gradcam``    Grad-CAM on the last convolution         computed from the image
=============  ======================================  ======================

Then the same drawing for all (:func:`.display.display_map`): normalise inside the mask,
keep the top 20%, blur. ``brief`` is thus exactly the original project's map.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np

from mri_course.saliency.display import THRESHOLD_PERCENTILE, display_map
from mri_course.saliency.gradcam import gradcam_map
from mri_course.saliency.gradients import (
    as_batch,
    logit_model,
    resolve_classes,
    vanilla_gradient_map,
)
from mri_course.saliency.mask import brain_mask, circular_mask
from mri_course.saliency.smoothgrad import smoothgrad_map

METHODS = ("brief", "gradient", "smoothgrad", "gradcam")
CHUNK = 16  # images per gradient computation: bounds the memory, not the result


@dataclass(frozen=True)
class SaliencyMap:
    """One image's map from one method, raw and as drawn."""

    method: str  # one of METHODS
    class_index: int  # the class explained
    raw: np.ndarray  # (height, width) >= 0, the method's own values, not masked
    mask: np.ndarray  # (height, width) bool: the brain mask the method uses
    display: np.ndarray  # (height, width) in 0..1: masked, normalised, thresholded, blurred
    threshold_percentile: float


def _brief_raw(model: keras.Model, images: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return vanilla_gradient_map(model, images, classes)


def _gradient_raw(model: keras.Model, images: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return vanilla_gradient_map(logit_model(model), images, classes)


def _smoothgrad_raw(model: keras.Model, images: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return smoothgrad_map(logit_model(model), images, classes)


RAW_MAPS: dict[str, Callable[[keras.Model, np.ndarray, np.ndarray], np.ndarray]] = {
    "brief": _brief_raw,
    "gradient": _gradient_raw,
    "smoothgrad": _smoothgrad_raw,
    "gradcam": gradcam_map,
}


def method_mask(method: str, image: np.ndarray) -> np.ndarray:
    """The brain mask a method uses: the brief's circle, or the brain found in the image."""
    if method == "brief":
        return circular_mask(*image.shape[:2])
    return brain_mask(image)


def raw_maps(
    model: keras.Model, images: np.ndarray, method: str, class_indices: np.ndarray
) -> np.ndarray:
    """The method's raw maps ``(n, height, width)``, computed ``CHUNK`` images at a time."""
    if method not in RAW_MAPS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    compute = RAW_MAPS[method]
    return np.concatenate(
        [
            compute(model, images[k : k + CHUNK], class_indices[k : k + CHUNK])
            for k in range(0, len(images), CHUNK)
        ]
    )


def saliency_maps(
    model: keras.Model,
    images: np.ndarray,
    method: str,
    class_indices: int | Sequence[int] | None = None,
    threshold_percentile: float = THRESHOLD_PERCENTILE,
) -> list[SaliencyMap]:
    """Saliency maps of ``images`` for ``model`` by ``method``, one :class:`SaliencyMap` each.

    Args:
        model: a course classifier, built or loaded from disk.
        images: float32 ``(n, height, width, 3)`` or one ``(height, width, 3)`` image, in
            ``0..255`` at the model's input size (``prepare_pixels`` gives exactly that).
        method: one of ``METHODS``.
        class_indices: the class to explain per image (or one for all); None explains
            each image's predicted class.
        threshold_percentile: the drawing keeps the values above this percentile.
    """
    batch = as_batch(images)
    classes = resolve_classes(model, batch, class_indices)
    raws = raw_maps(model, batch, method, classes)
    maps = []
    for image, raw, class_index in zip(batch, raws, classes, strict=True):
        mask = method_mask(method, image)
        maps.append(
            SaliencyMap(
                method=method,
                class_index=int(class_index),
                raw=raw,
                mask=mask,
                display=display_map(raw, mask, threshold_percentile),
                threshold_percentile=threshold_percentile,
            )
        )
    return maps


def saliency_map(
    model: keras.Model,
    image: np.ndarray,
    method: str = "gradcam",
    class_index: int | None = None,
    threshold_percentile: float = THRESHOLD_PERCENTILE,
) -> SaliencyMap:
    """One image's :class:`SaliencyMap` (see :func:`saliency_maps`)."""
    return saliency_maps(model, image, method, class_index, threshold_percentile)[0]
