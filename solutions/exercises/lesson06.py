"""Reference solutions of lesson 06 (beyond the test set).

Each function is the package's own code, copied from the module named above it: the
course runs exactly this. Edit the package, then run
`python -m mri_course.exercises.generate` to refresh this file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from PIL import Image

from mri_course.audit.groups import GroupTable, crosstab
from mri_course.audit.mni152 import CONFIDENT, PlaneScore
from mri_course.audit.stress import as_rgb_uint8


# Exercise 6.1, from mri_course/audit/groups.py
def accuracy_by_group(
    groups: Sequence[str],
    labels: Sequence[int],
    predicted: Sequence[int],
    title: str,
    order: Sequence[str] | None = None,
) -> GroupTable:
    """How many scans of each class in each group there are, and how many the model got.

    One accuracy over a test set hides where a model fails. Split the same answers by
    something the model should not care about (the slice plane, the image size) and a
    shortcut shows as a group, or a class within a group, far below the rest, or as a
    group with no scans of some class at all, where the test cannot see a failure.

    Args:
        groups: the group of each scan, e.g. ``"sagittal"``.
        labels: the true class index of each scan.
        predicted: the predicted class index of each scan.
        title: the table's name (its first column's header).
        order: the groups in the table's order (default: sorted).

    Returns:
        A :class:`GroupTable` with ``counts[g][c]``, the scans of class ``c`` in group
        ``g``, and ``right[g][c]``, how many of them were predicted correctly.

    Hints:
        - Raise `ValueError` unless `groups`, `labels` and `predicted` have the same length.
        - `crosstab(groups, labels, title, order)` counts every scan; a second `crosstab`
          of only the scans where `labels == predicted` counts the right ones.
        - Give both the same `order` (default `sorted(set(groups))`), so their rows line
          up, then `GroupTable(title, every.groups, every.counts, right.counts)`.
    """
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    if not len(groups) == len(labels) == len(predicted):
        raise ValueError(
            f"{len(groups)} groups, {len(labels)} labels and {len(predicted)} predictions: "
            "give one of each per scan"
        )
    order = list(order or sorted(set(groups)))
    hit = labels == predicted
    every = crosstab(groups, labels, title, order)
    right = crosstab(
        [group for group, ok in zip(groups, hit, strict=True) if ok], labels[hit], title, order
    )
    return GroupTable(title, every.groups, every.counts, right.counts)


# Exercise 6.2, from mri_course/audit/mni152.py
def confident_wrong_share(
    scores: Mapping[str, PlaneScore] | Iterable[PlaneScore], threshold: float = CONFIDENT
) -> float:
    """The share of all slices, every plane together, given a wrong label with at least
    ``threshold`` confidence: how often the app would state a wrong diagnosis firmly.

    The share called ``notumor`` says how often a model is right on a healthy brain from
    elsewhere; this says how often it is wrong *and sure*, the failure a user cannot see.

    Args:
        scores: one :class:`PlaneScore` per plane, as a mapping (``score_planes``'s
            result) or any iterable.
        threshold: the confidence from which a wrong answer counts.

    Returns:
        A share in ``[0, 1]``.

    Hints:
        - A mapping's scores are its `.values()`; make a list either way.
        - Each score has `.slices` and `.wrong_at(threshold)`: sum each over the planes.
        - No slices at all: raise `ValueError` rather than divide by zero.
    """
    planes = list(scores.values()) if isinstance(scores, Mapping) else list(scores)
    total = sum(score.slices for score in planes)
    if total == 0:
        raise ValueError("no slices scored")
    return sum(score.wrong_at(threshold) for score in planes) / total


# Exercise 6.3, from mri_course/audit/stress.py
def border_crop(pixels: np.ndarray, fraction: float) -> np.ndarray:
    """Cut ``fraction`` of the height and of the width away, half at each edge, then resize
    back to the original size (bilinear).

    So a 15% crop keeps the central 85% x 85% (7.5% gone at every edge), the reading of "a
    15% border crop" in the course's target: a tighter framing of the same slice, as
    another export or viewer might give. A model that reads the skull
    outline or the black margin instead of the brain loses its cue here.

    Args:
        pixels: a decoded ``uint8`` RGB image, shape ``(height, width, 3)``.
        fraction: the share of each dimension cut away, in ``[0, 1)``.

    Returns:
        A new ``uint8`` array of the same shape as ``pixels``.

    Hints:
        - Start with `array = as_rgb_uint8(pixels)`; raise `ValueError` for a `fraction`
          outside `[0, 1)`.
        - Rows to cut at the top (and at the bottom): `round(fraction * height / 2)`; the
          same with the width for each side. Nothing to cut: return `array.copy()`.
        - Slice the inside, then `Image.fromarray(np.ascontiguousarray(inside))`,
          `.resize((width, height), Image.Resampling.BILINEAR)`, and `np.array(...)`.
    """
    array = as_rgb_uint8(pixels)
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    height, width = array.shape[:2]
    top, side = round(fraction * height / 2), round(fraction * width / 2)
    if top == 0 and side == 0:
        return array.copy()
    inside = Image.fromarray(np.ascontiguousarray(array[top : height - top, side : width - side]))
    return np.array(inside.resize((width, height), Image.Resampling.BILINEAR))
