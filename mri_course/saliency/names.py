"""The saliency methods and the map's regions, named once, without TensorFlow.

The lessons, the figures, the app and the explanations (Gemini's prompt and the offline
text) all speak of the same methods and regions. They read them from here, so adding a
method means one entry below and one raw-map function in :mod:`.maps`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    """How the course names and draws one saliency method.

    Attributes:
        title: the method in a figure, the app or a sentence ("Grad-CAM").
        brief_drawing: True for the brief's own drawing: its fixed circle as the brain
            and colours over the whole scan; False for the brain found in the image
            (:func:`.mask.brain_mask`) and colours only above the threshold.
        caveat: what a reader of its map should keep in mind, in one or two sentences
            (the offline explanation quotes it).
    """

    title: str
    brief_drawing: bool
    caveat: str


METHODS: dict[str, Method] = {
    "brief": Method(
        title="the brief's gradient map",
        brief_drawing=True,
        caveat=(
            "The original project's gradient map differentiates the saturated softmax and "
            "uses a fixed circle as the brain; lesson 06 shows where that misleads."
        ),
    ),
    "gradient": Method(
        title="gradient of the logit",
        brief_drawing=False,
        caveat=(
            "A plain gradient map is noisy, and part of it survives randomising the model "
            "(lesson 06); do not read much into single bright pixels."
        ),
    ),
    "smoothgrad": Method(
        title="SmoothGrad",
        brief_drawing=False,
        caveat=(
            "SmoothGrad averages gradients over noisy copies of the scan: finer than "
            "Grad-CAM, but in lesson 06's sanity check its maps barely changed when the "
            "model was randomised, so part of what it shows is the scan itself."
        ),
    ),
    "gradcam": Method(
        title="Grad-CAM",
        brief_drawing=False,
        caveat=(
            "Grad-CAM is computed on the model's coarse last feature map and enlarged, so "
            "it shows the area the model used, not exact pixels."
        ),
    ),
}
"""Every method, in the order lesson 06 teaches them."""

APP_METHODS: tuple[str, ...] = ("gradcam", "smoothgrad", "brief")
"""The methods the app offers: Grad-CAM first (its maps change completely when the model is
randomised, lesson 06), SmoothGrad, and the brief's map for comparison."""

REGIONS: tuple[str, ...] = ("upper left", "upper right", "lower left", "lower right", "centre")
"""The region summary's five disjoint regions, in IMAGE coordinates: a radiological image
shows the patient's right on the image's left, so "left" is not the patient's left."""
