"""Where the brain is: the brief's fixed circle, right only for a head that fills the image
and sits in its middle, and :func:`brain_mask`, which finds the head in the image."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

BRIEF_MARGIN = 10  # the brief's circle ends this far inside the image's shorter half-side
HEAD_THRESHOLD = 0.1  # head, not air: brighter than this share of the image's bright end
SKULL_FRACTION = 0.1  # the outer share of the head's radius (scalp and skull) left out


def circular_mask(height: int, width: int, margin: int = BRIEF_MARGIN) -> np.ndarray:
    """The brief's fixed disc, ``margin`` pixels inside the image, as written: its row centre
    is compared with the column coordinate, which only matters for images not square."""
    center = (height // 2, width // 2)
    radius = min(center) - margin
    y, x = np.ogrid[:height, :width]
    return (x - center[0]) ** 2 + (y - center[1]) ** 2 <= radius**2


def brain_mask(image: np.ndarray, skull_fraction: float = SKULL_FRACTION) -> np.ndarray:
    """The brain of an MRI slice, found in the image: threshold, largest component, holes
    filled, skull peeled off.

    1. Grey levels: the mean of the three channels.
    2. Threshold: a pixel is head when brighter than ``HEAD_THRESHOLD`` (a tenth) of the
       99th percentile of the image; MRI shows air as black, so this separates head from
       background whatever the scanner's contrast (the percentile ignores a few hot pixels).
    3. Largest connected component (``ndimage.label``): specks of noise and labels burnt
       into the image are separate islands and are dropped.
    4. Fill holes (``ndimage.binary_fill_holes``): dark ventricles or a dark necrotic core
       are inside the brain and must stay in it.
    5. Peel off the skull: keep the pixels farther from the background than
       ``skull_fraction`` of the largest such distance (``ndimage.distance_transform_edt``),
       i.e. the head shrunk by that share of its radius.

    Args:
        image: one image ``(height, width, 3)`` or ``(height, width)``, any range.
        skull_fraction: the outer share of the head's radius to drop (0 keeps the skull).

    Returns:
        A boolean mask ``(height, width)``. An image with nothing brighter than the
        background (all black) gives an all-False mask.

    Hints:
        - Grey levels: `image.mean(axis=-1)` for a 3-D image; head: `gray > HEAD_THRESHOLD *
          np.percentile(gray, 99)`.
        - `labels, count = ndimage.label(head)`; `np.bincount(labels.ravel())[1:]` counts
          the pixels of labels 1, 2, ...: keep the label with the most.
        - `ndimage.binary_fill_holes(...)`, then `depth =
          ndimage.distance_transform_edt(head)` and keep `depth > skull_fraction *
          depth.max()`.
    """
    gray = np.asarray(image, dtype=np.float64)
    if gray.ndim == 3:
        gray = gray.mean(axis=-1)
    head = gray > HEAD_THRESHOLD * np.percentile(gray, 99)
    labels, count = ndimage.label(head)
    if count == 0:
        return np.zeros(gray.shape, dtype=bool)
    sizes = np.bincount(labels.ravel())[1:]
    head = ndimage.binary_fill_holes(labels == 1 + np.argmax(sizes))
    depth = ndimage.distance_transform_edt(head)
    return depth > skull_fraction * depth.max()
