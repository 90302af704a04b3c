"""The saliency methods and the map's regions, named once, without TensorFlow.

The lessons, the figures, the app and both explanations read them from here: a new method
is one entry in ``METHODS`` and one raw-map function in :data:`.maps.RAW_MAPS`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    """How the course names and draws one saliency method."""

    title: str  # in a figure, the app or a sentence: "Grad-CAM"
    # True: the brief's drawing, its fixed circle as the brain and colours over the whole
    # scan; False: the brain found in the image, and colours only above the threshold
    brief_drawing: bool
    caveat: str  # what a reader of its map should keep in mind (the offline text quotes it)


METHODS: dict[str, Method] = {  # in the order lesson 07 teaches them
    "brief": Method(
        title="the brief's gradient map",
        brief_drawing=True,
        caveat="The original project's gradient map differentiates the saturated softmax and "
        "uses a fixed circle as the brain; lesson 07 shows where that misleads.",
    ),
    "gradient": Method(
        title="gradient of the logit",
        brief_drawing=False,
        caveat="A plain gradient map is noisy, and part of it survives randomising the model "
        "(lesson 07); do not read much into single bright pixels.",
    ),
    "smoothgrad": Method(
        title="SmoothGrad",
        brief_drawing=False,
        caveat="SmoothGrad averages gradients over noisy copies of the scan: finer than "
        "Grad-CAM, but in lesson 07's sanity check its maps barely changed when the "
        "model was randomised, so part of what it shows is the scan itself.",
    ),
    "gradcam": Method(
        title="Grad-CAM",
        brief_drawing=False,
        caveat="Grad-CAM is computed on the model's coarse last feature map and enlarged, so "
        "it shows the area the model used, not exact pixels.",
    ),
}

# Grad-CAM first (its maps change completely when the model is randomised), SmoothGrad,
# and the brief's map for comparison
APP_METHODS: tuple[str, ...] = ("gradcam", "smoothgrad", "brief")

# In IMAGE coordinates: a radiological image shows the patient's right on the image's left
REGIONS: tuple[str, ...] = ("upper left", "upper right", "lower left", "lower right", "centre")
