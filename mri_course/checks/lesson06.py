"""Checks for lesson 06's exercises (beyond the test set)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from mri_course.audit.mni152 import PlaneScore, Window


def _must_refuse(call: Callable, message: str) -> None:
    try:
        call()
    except ValueError:
        return
    raise AssertionError(message)


GROUPS = ["axial", "axial", "sagittal", "coronal", "sagittal", "axial"]
LABELS = [0, 2, 1, 2, 1, 3]
PREDICTED = [0, 1, 1, 0, 0, 3]  # the coronal scan is wrong: no right answer in that group


def check_accuracy_by_group(accuracy_by_group: Callable) -> str:
    table = accuracy_by_group(GROUPS, LABELS, PREDICTED, "plane")
    assert tuple(table.groups) == ("axial", "coronal", "sagittal"), (
        f"groups {table.groups}; by default they come sorted: axial, coronal, sagittal"
    )
    assert tuple(map(tuple, table.counts)) == ((1, 0, 1, 1), (0, 0, 1, 0), (0, 2, 0, 0)), (
        f"counts {table.counts}: counts[g][c] is the number of scans of TRUE class c in "
        "group g, every scan counted once"
    )
    assert table.right is not None and len(table.right) == 3, (
        "right needs one row per group, also for a group with no right answer (coronal "
        "here): give both crosstabs the same order"
    )
    right = tuple(map(tuple, table.right))
    if right == tuple(map(tuple, table.counts)):
        raise AssertionError("every scan was counted as right: count only labels == predicted")
    assert right == ((1, 0, 0, 1), (0, 0, 0, 0), (0, 1, 0, 0)), (
        f"right {table.right}: right[g][c] counts the scans of true class c in group g that "
        "were predicted correctly"
    )
    assert table.accuracy("sagittal") == 0.5, "sagittal: one of two scans right"
    ordered = accuracy_by_group(
        GROUPS, LABELS, PREDICTED, "plane", ["sagittal", "axial", "coronal"]
    )
    assert tuple(ordered.groups) == ("sagittal", "axial", "coronal"), "keep the given order"
    assert tuple(ordered.right[0]) == (0, 1, 0, 0), "with an order, rows follow it, right too"
    _must_refuse(
        lambda: accuracy_by_group(GROUPS, LABELS[:-1], PREDICTED, "plane"),
        "five labels for six scans: raise ValueError",
    )
    return "counts and right answers per group and class, a row for every group"


def _by_pillow(image: np.ndarray, fraction: float) -> np.ndarray:
    height, width = image.shape[:2]
    top, side = round(fraction * height / 2), round(fraction * width / 2)
    box = (side, top, width - side, height - top)
    cropped = Image.fromarray(image).crop(box)
    return np.array(cropped.resize((width, height), Image.Resampling.BILINEAR))


def check_border_crop(border_crop: Callable) -> str:
    image = np.random.default_rng(6).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    found = np.asarray(border_crop(image, 0.2))
    assert found.shape == image.shape, (
        f"shape {found.shape}; resize the cropped middle back to the original size, "
        f"{image.shape} (Pillow's size is (width, height))"
    )
    assert found.dtype == np.uint8, f"dtype {found.dtype}; keep uint8"
    if np.array_equal(found, _by_pillow(image, 0.4)):
        raise AssertionError(
            "that cut the whole fraction at every edge: cut half of it at each edge, so a "
            "20% crop keeps the middle 80%"
        )
    assert np.array_equal(found, _by_pillow(image, 0.2)), (
        "a 20% crop of a 40 x 60 image keeps rows 4..36 and columns 6..54, resized back "
        "with Image.Resampling.BILINEAR: your pixels differ"
    )
    same = np.asarray(border_crop(image, 0.0))
    assert np.array_equal(same, image) and same is not image, (
        "a 0% crop is the image itself, as a copy"
    )
    assert np.array_equal(
        image, np.random.default_rng(6).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    ), "the input image was changed: work on a copy"
    _must_refuse(lambda: border_crop(image, 1.0), "a 100% crop leaves nothing: raise ValueError")
    return "the middle kept, resized back bilinearly, as Pillow's own crop and resize give"


def _score(plane: str, confidences: list[float]) -> PlaneScore:
    """Slices whose tumour call has each confidence (1.0 = notumor, right)."""
    rows = [(0.0, 0.0, 1.0, 0.0) if c == 1.0 else (c, 1 - c, 0.0, 0.0) for c in confidences]
    return PlaneScore(plane, Window(0.5, 99.5, 255), tuple(range(len(rows))), tuple(rows))


def check_confident_wrong_share(confident_wrong_share: Callable) -> str:
    scores = {
        "axial": _score("axial", [1.0, 1.0, 1.0, 0.95, 0.97, 1.0]),
        "sagittal": _score("sagittal", [0.99, 0.6, 0.92, 1.0, 1.0, 1.0, 1.0, 1.0]),
    }
    found = float(confident_wrong_share(scores))
    if np.isclose(found, (2 / 6 + 2 / 8) / 2):
        raise AssertionError(
            "that is the mean of the planes' shares: count the slices of all planes together"
        )
    if np.isclose(found, 5 / 14):
        raise AssertionError("a wrong call counts only from the threshold (0.9) up")
    assert np.isclose(found, 4 / 14), f"4 of 14 slices are wrong at >= 0.9; got {found:.4f}"
    assert np.isclose(float(confident_wrong_share(list(scores.values()))), 4 / 14), (
        "accept a list of scores as well as a mapping"
    )
    assert np.isclose(float(confident_wrong_share(scores, 0.5)), 5 / 14), (
        "use the threshold you are given"
    )
    _must_refuse(lambda: confident_wrong_share({}), "no slices at all: raise ValueError")
    return "wrong and sure, over all slices of every plane"
