"""Checks for lesson 01's exercises.

Each check calls your function on small inputs with known answers and raises an
``AssertionError`` that says what is wrong (a shape, a dtype, a value, a split that leaks);
it returns a one-line summary of what it verified when everything is right.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from mri_course.data.index import ImageRecord
from mri_course.data.release import CLASS_NAMES


def check_count_images_per_class(count_images_per_class: Callable) -> str:
    labels = ["pituitary", "glioma", "notumor", "glioma", "pituitary", "glioma"]
    records = tuple(
        ImageRecord(
            f"{'Training' if i % 2 else 'Testing'}/{label}/img_{i}.jpg",
            "Training" if i % 2 else "Testing",
            label,
            Path("/data"),
        )
        for i, label in enumerate(labels)
    )
    result = count_images_per_class(records)
    assert isinstance(result, dict), f"expected a dict, got {type(result).__name__}"
    missing = [c for c in CLASS_NAMES if c not in result]
    assert not missing, (
        f"class {missing[0]!r} is missing from the result; no record has that label here, but "
        "every class must appear, with 0, so a missing folder shows up as a 0"
    )
    extra = [key for key in result if key not in CLASS_NAMES]
    assert not extra, f"unexpected keys {extra}: the keys must be the four class names"
    assert list(result) == list(CLASS_NAMES), (
        f"classes in the order {list(result)}; expected the order of CLASS_NAMES "
        f"{list(CLASS_NAMES)}"
    )
    expected = {"glioma": 3, "meningioma": 0, "notumor": 1, "pituitary": 2}
    assert result == expected, f"counted {result}, expected {expected}"
    assert count_images_per_class(()) == dict.fromkeys(CLASS_NAMES, 0), (
        "no records should give 0 for every class"
    )
    return "counts are right, a class with no images shows 0, and the order is CLASS_NAMES"


def _assert_rgb(result: object, shape: tuple[int, int], what: str) -> np.ndarray:
    assert isinstance(result, np.ndarray), f"{what}: expected a numpy array, got {type(result)}"
    assert result.shape == (*shape, 3), f"{what}: expected shape {(*shape, 3)}, got {result.shape}"
    assert result.dtype == np.uint8, f"{what}: expected dtype uint8, got {result.dtype}"
    return result


def check_to_three_channels(to_three_channels: Callable) -> str:
    gray = np.array([[0, 50, 255], [10, 20, 30]], dtype=np.uint8)
    out = _assert_rgb(to_three_channels(gray), (2, 3), "a (2, 3) grayscale image")
    assert all(np.array_equal(out[..., k], gray) for k in range(3)), (
        "a grayscale image must be copied into all three channels unchanged"
    )
    out = _assert_rgb(to_three_channels(gray[..., np.newaxis]), (2, 3), "a (2, 3, 1) image")
    assert np.array_equal(out[..., 2], gray), "a (H, W, 1) image must be repeated, unchanged"

    rgb = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    out = _assert_rgb(to_three_channels(rgb), (2, 3), "an RGB image")
    assert np.array_equal(out, rgb), "an RGB uint8 image must come back unchanged"

    rgba = np.array([[[200, 10, 10, 0], [200, 10, 10, 255], [200, 100, 50, 128]]], np.uint8)
    out = _assert_rgb(to_three_channels(rgba), (1, 3), "an RGBA image")
    assert out[0, 0].tolist() == [0, 0, 0], (
        f"a fully transparent pixel (alpha 0) of colour (200, 10, 10) became "
        f"{tuple(out[0, 0].tolist())}; composite over black, so it must be (0, 0, 0)"
    )
    assert out[0, 1].tolist() == [200, 10, 10], "an opaque pixel (alpha 255) must keep its colour"
    assert out[0, 2].tolist() == [100, 50, 25], (
        f"a half-transparent pixel (alpha 128) of colour (200, 100, 50) became "
        f"{tuple(out[0, 2].tolist())}; expected colour * alpha / 255 rounded: (100, 50, 25)"
    )
    gray_alpha = np.array([[[90, 255], [90, 0]]], dtype=np.uint8)
    out = _assert_rgb(to_three_channels(gray_alpha), (1, 2), "a gray + alpha image")
    assert out[0].tolist() == [[90, 90, 90], [0, 0, 0]], (
        f"gray + alpha [[90, 255], [90, 0]] gave {out[0].tolist()}; expected "
        "[[90, 90, 90], [0, 0, 0]]"
    )

    deep = np.array([[0, 1000, 40000, 65535]], dtype=np.uint16)
    out = _assert_rgb(to_three_channels(deep), (1, 4), "a 16-bit image")
    assert out[0, :, 0].tolist() == [0, 4, 156, 255], (
        f"16-bit values [0, 1000, 40000, 65535] became {out[0, :, 0].tolist()}; scale by "
        "1/257 and round (a plain cast wraps around): expected [0, 4, 156, 255]"
    )
    mask = np.array([[True, False]])
    out = _assert_rgb(to_three_channels(mask), (1, 2), "a boolean image")
    assert out[0, :, 0].tolist() == [255, 0], "True must become 255 and False 0"
    return "gray, RGB, alpha (composited over black), 16-bit and boolean images all give uint8 RGB"


def _stripes(width: int, height: int, rising: bool) -> np.ndarray:
    row = np.linspace(0, 255, width) if rising else np.linspace(255, 0, width)
    return np.tile(row, (height, 1)).astype(np.uint8)


# Known answer: the dHash (hash_size 8) of _known_image(), row by row, as hex.
_KNOWN_HASH_8 = "2a2d8c5c134d4b95"


def _known_image() -> np.ndarray:
    """A fixed 48 x 64 test pattern (PCG64 streams are stable across numpy versions)."""
    return np.random.default_rng(2024).integers(0, 256, size=(48, 64), dtype=np.uint8)


def check_difference_hash(difference_hash: Callable) -> str:
    bits = difference_hash(_stripes(100, 60, rising=True), hash_size=16)
    assert isinstance(bits, np.ndarray), f"expected a numpy array, got {type(bits).__name__}"
    assert bits.dtype == bool, f"expected an array of booleans, got dtype {bits.dtype}"
    assert bits.shape == (256,), (
        f"hash_size=16 must give 16 * 16 = 256 bits, got shape {bits.shape}: shrink to 16 rows "
        "and 17 columns, then compare neighbours"
    )
    assert bits.all(), (
        f"an image that gets brighter to the right gave {int((~bits).sum())} False bits; a bit "
        "is True where the right neighbour is brighter"
    )
    falling = difference_hash(_stripes(100, 60, rising=False), hash_size=16)
    assert not falling.any(), "an image that gets darker to the right must give all False bits"
    small = difference_hash(_known_image(), hash_size=8)
    assert small.shape == (64,), f"hash_size=8 must give 64 bits, got shape {small.shape}"
    found = np.packbits(small.astype(np.uint8)).tobytes().hex()
    assert found == _KNOWN_HASH_8, (
        f"the hash of a test pattern is {found}, expected {_KNOWN_HASH_8}: shrink with "
        "Pillow's BOX filter to (hash_size + 1, hash_size) = (width, height), then compare"
    )
    return "bit order, direction, size and a known answer are all right"


def _split_problem(labels: list[str], groups: list[int]) -> None:
    """Fills ``labels`` and ``groups`` with an imbalanced set that has copies in groups."""
    rng = np.random.default_rng(7)
    sizes = {"a": 120, "b": 60, "c": 20}
    next_group = 0
    for label, size in sizes.items():
        left = size
        while left:
            group_size = int(min(left, rng.choice([1, 1, 1, 1, 2, 3, 5])))
            labels += [label] * group_size
            groups += [next_group] * group_size
            next_group += 1
            left -= group_size
    labels += ["a", "c"]  # one group whose copies carry two labels
    groups += [next_group, next_group]


def check_group_stratified_split(group_stratified_split: Callable) -> str:
    labels: list[str] = []
    groups: list[int] = []
    _split_problem(labels, groups)
    label_array, group_array = np.array(labels), np.array(groups)
    n = len(labels)
    for seed in (0, 1, 2):
        for fraction in (0.15, 0.3):
            result = group_stratified_split(labels, groups, fraction, seed)
            assert isinstance(result, tuple) and len(result) == 2, (
                "return a tuple (train_indices, val_indices)"
            )
            train, val = (np.asarray(part) for part in result)
            assert train.dtype.kind in "iu" and val.dtype.kind in "iu", (
                f"indices must be integers, got {train.dtype} and {val.dtype}"
            )
            both = np.concatenate([train, val])
            assert len(both) == n and set(both.tolist()) == set(range(n)), (
                f"train and validation must hold each of the {n} indices exactly once "
                f"(got {len(train)} + {len(val)} indices, {len(set(both.tolist()))} distinct)"
            )
            split_groups = set(group_array[train].tolist()) & set(group_array[val].tolist())
            assert not split_groups, (
                f"group(s) {sorted(split_groups)[:5]} have members in both train and "
                "validation: copies of one scan would leak into validation"
            )
            for label in ("a", "b", "c"):
                size = int((label_array == label).sum())
                target = round(fraction * size)
                got = int((label_array[val] == label).sum())
                assert abs(got - target) <= 1, (
                    f"seed {seed}, val_fraction {fraction}: class {label!r} has {got} of its "
                    f"{size} items in validation, expected about {target}: keep each class's "
                    "share (stratify)"
                )
    first = group_stratified_split(labels, groups, 0.2, 0)
    again = group_stratified_split(labels, groups, 0.2, 0)
    assert np.array_equal(first[1], again[1]), "the same seed must give the same split"
    other = group_stratified_split(labels, groups, 0.2, 1)
    assert not np.array_equal(first[1], other[1]), (
        "seeds 0 and 1 gave the same validation set: the seed must change the order in which "
        "groups are visited"
    )
    return "no group is split, each class keeps its share, and the seed decides the split"


def check_leaked_share(leaked_share: Callable) -> str:
    from mri_course.data.leakage import LeakageRow

    def row(images, within, exact, near):
        return LeakageRow("Testing", "glioma", images, within, exact, near, images - exact - near)

    mixed = row(images=20, within=6, exact=3, near=5)  # 8 of 20 leak: 3 exact + 5 near
    share = leaked_share(mixed)
    assert isinstance(share, float | int | np.floating), (
        f"expected a number, got {type(share).__name__}"
    )
    share = float(share)
    assert not np.isclose(share, 40.0), (
        "you returned a percentage (40.0); return a share from 0 to 1: 0.4"
    )
    assert 0.0 <= share <= 1.0, f"got {share}; a share lies between 0 and 1"
    assert not np.isclose(share, 0.6), (
        "you returned the clean share (clean / images = 12 / 20 = 0.6); the share *with* a "
        "copy in the other split is the rest: 8 / 20 = 0.4"
    )
    assert not np.isclose(share, 0.15), (
        "you counted only the exact copies (3 of 20); an image with only a near copy in the "
        "other split leaks too: (3 + 5) / 20 = 0.4"
    )
    assert not np.isclose(share, 0.25), (
        "you counted only the near copies (5 of 20); an image with an identical copy in the "
        "other split leaks too: (3 + 5) / 20 = 0.4"
    )
    assert not np.isclose(share, [0.7, 0.3]).any(), (
        f"got {share}: copies *within* the split (copy_within_split = 6) do not cross it and "
        "must not count; expected (3 + 5) / 20 = 0.4"
    )
    assert np.isclose(share, 0.4), (
        "for a row of 20 images, 3 with an exact and 5 with only a near copy in the other "
        f"split (12 clean), expected 8 / 20 = 0.4, got {share}"
    )
    assert np.isclose(float(leaked_share(row(10, 0, 0, 0))), 0.0), "a clean row must give 0.0"
    assert np.isclose(float(leaked_share(row(4, 4, 4, 0))), 1.0), (
        "a row whose every image has a copy in the other split must give 1.0"
    )
    empty = leaked_share(row(0, 0, 0, 0))
    assert np.isclose(float(empty), 0.0), (
        f"a row with no images gave {empty}; return 0.0 instead of dividing by zero"
    )
    return "exact and near copies in the other split count, copies within it do not, 0..1"
