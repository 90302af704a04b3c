"""The original project's saliency map, step for step (without OpenCV).

The brief's recipe, as its code ran it:

1. the gradient of the predicted class's *softmax probability* with respect to the image;
2. its absolute value, and the maximum over the three colour channels;
3. a fixed circular brain mask, 10 pixels inside the image (:func:`.mask.circular_mask`);
4. min-max normalisation inside the circle, everything under the 80th percentile set to 0;
5. an 11 x 11 Gaussian blur;
6. OpenCV's JET colour map, laid over the scan at 70% heat and 30% image, *everywhere*:
   the zeros outside the circle and under the threshold become a dark blue wash.

Steps 1-2 are :func:`.gradients.vanilla_gradient_map` on the classifier itself; steps 3-5
are :func:`.display.display_map` with the circle; step 6 is :func:`.overlay.overlay` with
``colour_everywhere=True``. Its flaws, which lesson 06 shows: the saturated softmax, the
circle that misses off-centre scans, and gradients that partly survive randomising the
model. (The skull's edges, a common worry, drew less than their share of the gradient in
lesson 06's measurement.)
"""

from __future__ import annotations

import keras
import numpy as np

from mri_course.saliency.display import display_map
from mri_course.saliency.gradients import as_batch, resolve_classes, vanilla_gradient_map
from mri_course.saliency.mask import circular_mask
from mri_course.saliency.overlay import overlay

BRIEF_HEAT_WEIGHT = 0.7
"""``superimposed = heatmap * 0.7 + original * 0.3``."""


def brief_gradient_map(
    model: keras.Model, image: np.ndarray, class_index: int | None = None
) -> np.ndarray:
    """The brief's map for one image: steps 1 to 5 above, values in 0..1.

    The brief also resized the gradient to the image size; the gradient of a course model
    already has its input's size, so that step changes nothing and is left out.

    Args:
        model: a course classifier (softmax output), built or loaded from disk.
        image: one image ``(height, width, 3)`` in ``0..255``, the model's input size.
        class_index: the class to explain; None explains the predicted class.
    """
    batch = as_batch(image)
    classes = resolve_classes(model, batch, class_index)
    gradients = vanilla_gradient_map(model, batch, classes)[0]
    return display_map(gradients, circular_mask(*gradients.shape))


def brief_overlay(image: np.ndarray, brief_map: np.ndarray) -> np.ndarray:
    """Step 6: the JET colours over the whole scan, 70% heat and 30% image (``uint8``)."""
    return overlay(image, brief_map, heat_weight=BRIEF_HEAT_WEIGHT, colour_everywhere=True)
