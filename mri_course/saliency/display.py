"""From a method's raw map to the map that is drawn: the brief's post-processing, for every method.

Every method (the brief's and the better ones) goes through the same steps, so a difference
between two overlays comes from the method, not from the drawing:

1. keep the values inside a brain mask (the brief's circle, or the brain found in the image);
2. min-max normalise them to 0..1 inside the mask;
3. set everything below the 80th percentile of the brain's values to zero;
4. blur with the brief's Gaussian: OpenCV's ``GaussianBlur(x, (11, 11), 0)`` is sigma 2
   over an 11 x 11 kernel, edges mirrored.

The result stays on the 0..1 scale of step 2: an isolated hot pixel is spread thin by the
blur and ends up faint, a solid hot patch keeps its strength.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from mri_course.saliency.mask import brain_mask, circular_mask
from mri_course.saliency.names import METHODS

THRESHOLD_PERCENTILE = 80.0  # the brief keeps the top 20% of the brain's values
BLUR_SIGMA = 2.0  # OpenCV's sigma for an 11-pixel kernel: 0.3 * ((11 - 1) / 2 - 1) + 0.8
BLUR_TRUNCATE = 2.5  # kernel radius in sigmas: 5 pixels each side, the brief's 11 x 11
COLOURED_FLOOR = 0.02  # values under this (the blur's faint tails) are left uncoloured


def display_map(
    saliency: np.ndarray,
    mask: np.ndarray,
    threshold_percentile: float = THRESHOLD_PERCENTILE,
    blur_sigma: float = BLUR_SIGMA,
) -> np.ndarray:
    """One raw map ``(height, width)`` as drawn (steps 1 to 4): float64 in 0..1.

    ``mask`` is the boolean brain mask; ``blur_sigma=0`` skips the blur.
    """
    normalised = np.zeros(saliency.shape, dtype=np.float64)
    inside = np.asarray(saliency, dtype=np.float64)[mask]
    if inside.size and inside.max() > inside.min():
        normalised[mask] = (inside - inside.min()) / (inside.max() - inside.min())
        threshold = np.percentile(normalised[mask], threshold_percentile)
        normalised[normalised < threshold] = 0.0
    if blur_sigma <= 0:
        return normalised
    return gaussian_filter(normalised, sigma=blur_sigma, truncate=BLUR_TRUNCATE, mode="mirror")


def method_mask(method: str, image: np.ndarray) -> np.ndarray:
    """The brain mask a method uses: the brief's circle, or the brain found in the image."""
    if METHODS[method].brief_drawing:
        return circular_mask(*image.shape[:2])
    return brain_mask(image)


@dataclass(frozen=True)
class SaliencyMap:
    """One image's map from one method, raw and as drawn."""

    method: str  # a key of names.METHODS
    class_index: int  # the class explained
    raw: np.ndarray  # (height, width) >= 0, the method's own values, not masked
    mask: np.ndarray  # (height, width) bool: the brain mask the method uses
    display: np.ndarray  # (height, width) in 0..1: masked, normalised, thresholded, blurred
    threshold_percentile: float

    @classmethod
    def drawn(
        cls,
        method: str,
        image: np.ndarray,
        raw: np.ndarray,
        class_index: int,
        threshold_percentile: float = THRESHOLD_PERCENTILE,
    ) -> SaliencyMap:
        """The map of ``raw`` as ``method`` draws it over ``image``."""
        mask = method_mask(method, image)
        display = display_map(raw, mask, threshold_percentile)
        return cls(method, int(class_index), raw, mask, display, threshold_percentile)
