"""The saliency methods and the map's regions, named once and without TensorFlow: a new
method is one entry in ``METHODS`` and one function in :data:`.maps.RAW_MAPS`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    """How the course names and draws one saliency method."""

    title: str  # in a figure, the app or a sentence: "Grad-CAM"
    brief_drawing: bool  # the brief's circle and colours over the whole scan, or the brain's
    caveat: str  # what a reader of its map should keep in mind (the offline text quotes it)


METHODS: dict[str, Method] = {  # in the order lesson 07 teaches them
    "brief": Method(
        "the brief's gradient map",
        True,
        "The original project's gradient map differentiates the saturated softmax and "
        "uses a fixed circle as the brain; lesson 07 shows where that misleads.",
    ),
    "gradient": Method(
        "gradient of the logit",
        False,
        "A plain gradient map is noisy, and part of it survives randomising the model "
        "(lesson 07); do not read much into single bright pixels.",
    ),
    "smoothgrad": Method(
        "SmoothGrad",
        False,
        "SmoothGrad averages gradients over noisy copies of the scan: finer than "
        "Grad-CAM, but in lesson 07's sanity check its maps barely changed when the "
        "model was randomised, so part of what it shows is the scan itself.",
    ),
    "gradcam": Method(
        "Grad-CAM",
        False,
        "Grad-CAM is computed on the model's coarse last feature map and enlarged, so "
        "it shows the area the model used, not exact pixels.",
    ),
}

# Grad-CAM first (its maps change completely when the model is randomised), then SmoothGrad
# and the brief's map for comparison
APP_METHODS: tuple[str, ...] = ("gradcam", "smoothgrad", "brief")

# In IMAGE coordinates: a radiological image shows the patient's right on the image's left
REGIONS: tuple[str, ...] = ("upper left", "upper right", "lower left", "lower right", "centre")
