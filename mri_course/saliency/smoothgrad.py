"""SmoothGrad: the average gradient map over noisy copies of the image.

A single gradient map is speckled: the gradient of a ReLU network jumps from pixel to pixel
(Smilkov et al., 2017, "SmoothGrad: removing noise by adding noise"). Averaging the maps
of many copies of the image, each with a little Gaussian noise added, keeps what is stable
(the regions the score really depends on) and washes out the speckle.

This averages the *magnitude* maps (absolute value, maximum over channels) of the copies,
so speckle of opposite signs does not need to cancel; the paper's plain variant averages
the signed gradients first. Noise is 15% of each image's value range, the paper's advice.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from mri_course.saliency.gradients import as_batch, vanilla_gradient_map

SAMPLES = 16
NOISE_LEVEL = 0.15
BATCH = 32  # noisy copies per forward pass: bounds the memory, not the result


def smoothgrad_map(
    score_model: keras.Model,
    images: np.ndarray,
    class_indices: Sequence[int],
    samples: int = SAMPLES,
    noise_level: float = NOISE_LEVEL,
    seed: int = 0,
) -> np.ndarray:
    """SmoothGrad maps ``(n, height, width)``, >= 0, one per image.

    Args:
        score_model: images -> class scores, e.g. ``logit_model(classifier)``.
        images: a float32 batch ``(n, height, width, 3)`` in ``0..255``.
        class_indices: the class to explain, one per image.
        samples: noisy copies per image (more: smoother and slower, linearly).
        noise_level: the noise's standard deviation as a share of each image's range.
        seed: fixes the noise, so the same call gives the same map.
    """
    images = as_batch(images)
    classes = np.broadcast_to(np.asarray(class_indices), (len(images),))
    rng = np.random.default_rng(seed)
    spread = noise_level * (images.max(axis=(1, 2, 3)) - images.min(axis=(1, 2, 3)))
    noisy = np.repeat(images, samples, axis=0)
    noisy += rng.normal(size=noisy.shape).astype(np.float32) * np.repeat(spread, samples)[
        :, None, None, None
    ].astype(np.float32)
    repeated = np.repeat(classes, samples)
    maps = np.concatenate(
        [
            vanilla_gradient_map(score_model, noisy[k : k + BATCH], repeated[k : k + BATCH])
            for k in range(0, len(noisy), BATCH)
        ]
    )
    return maps.reshape(len(images), samples, *maps.shape[1:]).mean(axis=1)
