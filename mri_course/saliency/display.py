"""From a method's raw map to the map that is drawn: the brief's post-processing, step by step.

Every method here (the brief's and the better ones) goes through the same steps, so a
difference between two overlays comes from the method, not from the drawing:

1. keep the values inside a brain mask (the brief's circle, or the computed brain);
2. min-max normalise them to 0..1 inside the mask;
3. set everything below the 80th percentile of the brain's values to zero;
4. blur with the brief's Gaussian: an 11 x 11 kernel, sigma 2 (what OpenCV's
   ``GaussianBlur(x, (11, 11), 0)`` picks for that size), edges mirrored as OpenCV does.

The result stays on the 0..1 scale of step 2: an isolated hot pixel is spread thin by the
blur and ends up faint, a solid hot patch keeps its strength. Nothing stretches it back.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

THRESHOLD_PERCENTILE = 80.0
"""The brief keeps the top 20% of the brain's values."""

BLUR_SIGMA = 2.0
"""OpenCV's sigma for an 11-pixel kernel: 0.3 * ((11 - 1) / 2 - 1) + 0.8."""

BLUR_TRUNCATE = 2.5
"""Kernel radius in sigmas: 2.5 * 2 = 5 pixels each side, the brief's 11 x 11 kernel."""

COLOURED_FLOOR = 0.02
"""Values under this (the blur's faint tails) are left uncoloured in the overlay."""


def normalise_inside(saliency: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Zero outside ``mask``; inside it, min-max normalised to 0..1 (all 0 if constant)."""
    out = np.zeros(saliency.shape, dtype=np.float64)
    inside = np.asarray(saliency, dtype=np.float64)[mask]
    if inside.size and inside.max() > inside.min():
        out[mask] = (inside - inside.min()) / (inside.max() - inside.min())
    return out


def display_map(
    saliency: np.ndarray,
    mask: np.ndarray,
    threshold_percentile: float = THRESHOLD_PERCENTILE,
    blur_sigma: float = BLUR_SIGMA,
) -> np.ndarray:
    """The map as drawn: normalised inside ``mask``, top values kept, blurred (see above).

    Args:
        saliency: one raw map ``(height, width)``, values >= 0.
        mask: where the brain is, boolean ``(height, width)``.
        threshold_percentile: values below this percentile of the brain's values become 0.
        blur_sigma: the Gaussian's sigma in pixels (0: no blur).

    Returns:
        A float64 map ``(height, width)`` in 0..1.
    """
    normalised = normalise_inside(saliency, mask)
    if mask.any():
        threshold = np.percentile(normalised[mask], threshold_percentile)
        normalised[normalised < threshold] = 0.0
    if blur_sigma <= 0:
        return normalised
    return gaussian_filter(normalised, sigma=blur_sigma, truncate=BLUR_TRUNCATE, mode="mirror")
