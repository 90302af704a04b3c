"""Lesson 01 exercises: the data.

Replace each `raise NotImplementedError(...)` with your code, then run the exercise's
check in lessons/01_data.ipynb (or `mri-course progress`). Until you do, the
lesson runs the reference solution, so it never stops half-way. When you are done,
compare with solutions/exercises/lesson01.py.

Generated from the package's reference code by `python -m mri_course.exercises.generate`.
"""

# ruff: noqa: F401  (the imports are tools you may want; not every one is needed)

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from PIL import Image

from mri_course.data.index import ImageRecord
from mri_course.data.leakage import LeakageRow
from mri_course.data.release import CLASS_NAMES
from mri_course.exercises.runtime import exercise


@exercise("1.1")
def count_images_per_class(records: Iterable[ImageRecord]) -> dict[str, int]:
    """Count the records of each class.

    Every one of the four classes appears in the result, in the order of ``CLASS_NAMES``,
    also when it has no image: a class that silently drops out of a table is how a missing
    folder goes unnoticed.

    Args:
        records: image records, for example ``index.records`` or ``index.in_split("Testing")``.

    Returns:
        A dict from class name to the number of records with that label, e.g.
        ``{"glioma": 2, "meningioma": 0, "notumor": 1, "pituitary": 0}``.

    Hints:
        - Start from a dict with every class at 0: `dict.fromkeys(CLASS_NAMES, 0)`.
        - Each record has a `.label`; add one to that class.
    """
    raise NotImplementedError("Exercise 1.1: write count_images_per_class here")


@exercise("1.2")
def to_three_channels(image: np.ndarray) -> np.ndarray:
    """Convert an image array of any common channel layout to ``uint8`` RGB.

    Grayscale scans are copied into three identical channels (pretrained networks expect
    three); an alpha channel is composited over black, the background of an MRI slice, so
    transparent pixels cannot leak hidden colours; 16-bit images are scaled to 8 bits
    rather than cast (a cast would wrap 65535 round to 255 and garble the picture).

    Args:
        image: an array of shape ``(H, W)``, ``(H, W, 1)``, ``(H, W, 2)`` (gray + alpha),
            ``(H, W, 3)`` or ``(H, W, 4)`` (RGB + alpha), of dtype ``uint8``, ``uint16`` or
            ``bool``.

    Returns:
        A new ``uint8`` array of shape ``(H, W, 3)``.

    Hints:
        - Handle the dtype first: `uint16` -> divide by 257 and round; `bool` -> 0 or 255.
        - Give a 2-D image a channel axis: `array[:, :, np.newaxis]`.
        - With 2 or 4 channels the last one is alpha: multiply the others by alpha / 255.
        - Repeat a single channel three times: `np.repeat(array, 3, axis=2)`.
    """
    raise NotImplementedError("Exercise 1.2: write to_three_channels here")


@exercise("1.3")
def difference_hash(gray: np.ndarray, hash_size: int = 16) -> np.ndarray:
    """The difference hash ("dHash") of a grayscale image, as an array of bits.

    Shrink the image with Pillow's BOX filter (each new pixel is the mean of its box) to
    ``hash_size`` rows and ``hash_size + 1`` columns, then record for each pair of
    horizontal neighbours whether the right one is brighter. The bits follow
    the image's gradients rather than its brightness, so re-saving, rescaling or a change of
    contrast leaves most of them unchanged, while a different scan flips many.

    Args:
        gray: a 2-D ``uint8`` array (any size).
        hash_size: number of rows of the shrunken image; the hash has
            ``hash_size * hash_size`` bits.

    Returns:
        A boolean array of shape ``(hash_size * hash_size,)``, row by row: bit ``k`` is
        True where ``small[row, col + 1] > small[row, col]``.

    Hints:
        - Shrink with Pillow: `Image.fromarray(gray).resize((hash_size + 1, hash_size),
          Image.Resampling.BOX)`; note that Pillow's size is (width, height).
        - Compare each column with its left neighbour: `small[:, 1:] > small[:, :-1]`.
        - Cast to a signed or float type before comparing if you subtract; `ravel()` the
          result into one row of bits.
    """
    raise NotImplementedError("Exercise 1.3: write difference_hash here")


@exercise("1.4")
def group_stratified_split(
    labels: Sequence[str], groups: Sequence[int], val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split items into train and validation, keeping each group whole and classes balanced.

    Copies of one scan share a group. If one copy lands in training and another in
    validation, the validation score rewards memory; so whole groups are assigned. Groups
    are visited in a random order fixed by ``seed``, and a group joins validation when that
    keeps every class at or under its share (``val_fraction`` of the class, rounded).

    Args:
        labels: the class of each item.
        groups: a group id for each item; items with the same id must stay together.
        val_fraction: the share of each class to put in validation, between 0 and 1.
        seed: fixes the order in which groups are visited (same seed, same split).

    Returns:
        ``(train_indices, val_indices)``: sorted integer arrays that together hold every
        index from 0 to ``len(labels) - 1`` once.

    Hints:
        - Collect the indices of each group first: a `defaultdict(list)` keyed by group id.
        - The validation target of a class is `round(val_fraction * class_size)`.
        - Visit the groups in the order of `np.random.default_rng(seed).permutation(...)`;
          put a group in validation only if no class would pass its target.
        - Return `np.flatnonzero(~in_val), np.flatnonzero(in_val)`.
    """
    raise NotImplementedError("Exercise 1.4: write group_stratified_split here")


@exercise("1.5")
def leaked_share(row: LeakageRow) -> float:
    """The share of a row's images that have a copy, exact or near, in the other split.

    For a ``Testing`` row, this is how much of that class's official test score can come
    from memory rather than skill. A copy *within* the same split does not count: it does
    not cross the split.

    Args:
        row: one split and class of a :class:`LeakageReport`, e.g.
            ``leakage.row("Testing", "notumor")``. Its fields count images: ``images`` in
            all, ``exact_copy_other_split`` with an identical copy in the other split,
            ``near_copy_other_split`` with only near copies there, and ``clean`` with no
            copy of any kind there (so the three add up to ``images``).

    Returns:
        A float from 0 to 1 (not a percentage); 0.0 for a row with no images.

    Hints:
        - The images with a copy in the other split are those that are not clean.
        - Guard the division: `if row.images == 0: return 0.0`.
    """
    raise NotImplementedError("Exercise 1.5: write leaked_share here")
