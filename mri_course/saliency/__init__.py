"""Saliency maps: where did the model look, and can the map be trusted? Imports TensorFlow.

The brief's gradient map first, faithfully (:mod:`.brief`), then better methods over the
same core (:mod:`.gradients`): a brain mask computed from the image (:mod:`.mask`),
SmoothGrad (:mod:`.smoothgrad`) and Grad-CAM (:mod:`.gradcam`); one drawing for all
(:mod:`.display`, :mod:`.overlay`), a region summary for the explanation (:mod:`.summary`),
and the measurements that say whether a method deserves trust (:mod:`.trust`).

    maps = saliency_maps(model, images, "gradcam")
    summary = region_summary(maps[0]).to_dict()
"""

from mri_course.saliency.brief import brief_gradient_map, brief_overlay
from mri_course.saliency.display import THRESHOLD_PERCENTILE, display_map
from mri_course.saliency.gradcam import gradcam_channel_weights, gradcam_map
from mri_course.saliency.gradients import logit_model, predicted_classes, vanilla_gradient_map
from mri_course.saliency.mask import brain_mask, circular_mask
from mri_course.saliency.methods import METHODS, SaliencyMap, saliency_map, saliency_maps
from mri_course.saliency.overlay import colour_legend, overlay
from mri_course.saliency.smoothgrad import smoothgrad_map
from mri_course.saliency.summary import (
    REGIONS,
    EmptySaliencyError,
    RegionSummary,
    region_summary,
)
from mri_course.saliency.trust import PointingGame, SanityCheck, pointing_game, sanity_check

__all__ = [
    "METHODS",
    "REGIONS",
    "THRESHOLD_PERCENTILE",
    "EmptySaliencyError",
    "PointingGame",
    "RegionSummary",
    "SaliencyMap",
    "SanityCheck",
    "brain_mask",
    "brief_gradient_map",
    "brief_overlay",
    "circular_mask",
    "colour_legend",
    "display_map",
    "gradcam_channel_weights",
    "gradcam_map",
    "logit_model",
    "overlay",
    "pointing_game",
    "predicted_classes",
    "region_summary",
    "saliency_map",
    "saliency_maps",
    "sanity_check",
    "smoothgrad_map",
    "vanilla_gradient_map",
]
