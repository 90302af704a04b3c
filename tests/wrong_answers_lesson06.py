"""Plausible wrong answers to lesson 06's exercises: each check must fail on them."""

import numpy as np
from PIL import Image

from mri_course.audit.groups import GroupTable, crosstab


def _groups_right_without_order(groups, labels, predicted, title, order=None):
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    if not len(groups) == len(labels) == len(predicted):
        raise ValueError("lengths differ")
    hit = labels == predicted
    every = crosstab(groups, labels, title, order)
    right = crosstab([g for g, ok in zip(groups, hit, strict=True) if ok], labels[hit], title)
    return GroupTable(title, every.groups, every.counts, right.counts)


def _groups_every_scan_right(groups, labels, predicted, title, order=None):
    every = crosstab(groups, labels, title, order)
    return GroupTable(title, every.groups, every.counts, every.counts)


def _groups_counts_predicted_class(groups, labels, predicted, title, order=None):
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    if not len(groups) == len(labels) == len(predicted):
        raise ValueError("lengths differ")
    order = list(order or sorted(set(groups)))
    every = crosstab(groups, predicted, title, order)
    hit = labels == predicted
    right = crosstab(
        [g for g, ok in zip(groups, hit, strict=True) if ok], labels[hit], title, order
    )
    return GroupTable(title, every.groups, every.counts, right.counts)


def _crop_whole_fraction_per_edge(pixels, fraction):
    if not 0.0 <= fraction < 1.0:
        raise ValueError(fraction)
    height, width = pixels.shape[:2]
    top, side = round(fraction * height), round(fraction * width)
    if top == 0 and side == 0:
        return pixels.copy()
    inside = Image.fromarray(np.ascontiguousarray(pixels[top : height - top, side : width - side]))
    return np.array(inside.resize((width, height), Image.Resampling.BILINEAR))


def _crop_size_swapped(pixels, fraction):
    height, width = pixels.shape[:2]
    top, side = round(fraction * height / 2), round(fraction * width / 2)
    inside = Image.fromarray(np.ascontiguousarray(pixels[top : height - top, side : width - side]))
    return np.array(inside.resize((height, width), Image.Resampling.BILINEAR))


def _crop_nearest(pixels, fraction):
    if not 0.0 <= fraction < 1.0:
        raise ValueError(fraction)
    height, width = pixels.shape[:2]
    top, side = round(fraction * height / 2), round(fraction * width / 2)
    if top == 0 and side == 0:
        return pixels.copy()
    inside = Image.fromarray(np.ascontiguousarray(pixels[top : height - top, side : width - side]))
    return np.array(inside.resize((width, height), Image.Resampling.NEAREST))


def _crop_no_copy(pixels, fraction):
    if fraction == 0:
        return pixels
    height, width = pixels.shape[:2]
    top, side = round(fraction * height / 2), round(fraction * width / 2)
    inside = Image.fromarray(np.ascontiguousarray(pixels[top : height - top, side : width - side]))
    return np.array(inside.resize((width, height), Image.Resampling.BILINEAR))


def _share_mean_of_planes(scores, threshold=0.9):
    planes = list(scores.values()) if isinstance(scores, dict) else list(scores)
    if not planes:
        raise ValueError("no slices")
    return float(np.mean([s.wrong_at(threshold) / s.slices for s in planes]))


def _share_ignores_threshold(scores, threshold=0.9):
    planes = list(scores.values()) if isinstance(scores, dict) else list(scores)
    total = sum(s.slices for s in planes)
    if not total:
        raise ValueError("no slices")
    return sum(len(s.wrong_confidences) for s in planes) / total


def _share_fixed_threshold(scores, threshold=0.9):
    planes = list(scores.values()) if isinstance(scores, dict) else list(scores)
    total = sum(s.slices for s in planes)
    if not total:
        raise ValueError("no slices")
    return sum(s.wrong_at(0.9) for s in planes) / total


WRONG_ANSWERS = {
    "6.1": [
        (_groups_right_without_order, "same order"),
        (_groups_every_scan_right, "counted as right"),
        (_groups_counts_predicted_class, "TRUE class"),
    ],
    "6.2": [
        (_share_mean_of_planes, "mean of the planes' shares"),
        (_share_ignores_threshold, "from the threshold"),
        (_share_fixed_threshold, "threshold you are given"),
    ],
    "6.3": [
        (_crop_whole_fraction_per_edge, "half of it at each edge"),
        (_crop_size_swapped, "(width, height)"),
        (_crop_nearest, "BILINEAR"),
        (_crop_no_copy, "as a copy"),
    ],
}
