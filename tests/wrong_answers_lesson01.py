"""Plausible wrong answers to lesson 01's exercises: each check must fail on them."""

from collections import Counter

import numpy as np
from PIL import Image
from sklearn.model_selection import GroupShuffleSplit, train_test_split


def _wrong_count_without_zeros(records):
    return dict(Counter(r.label for r in records))


def _wrong_count_sorted_by_size(records):
    counts = Counter({c: 0 for c in ("glioma", "meningioma", "notumor", "pituitary")})
    counts.update(r.label for r in records)
    return dict(counts.most_common())


def _wrong_channels_drop_alpha(image):
    array = np.asarray(image)
    if array.dtype == np.uint16:
        array = (array / 257).round().astype(np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] in (2, 4):
        array = array[..., :-1]
    return np.repeat(array, 3, axis=2) if array.shape[2] == 1 else array


def _wrong_channels_cast_16_bit(image):
    array = np.asarray(image).astype(np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] in (2, 4):
        array = np.round(array[..., :-1] * (array[..., -1:] / 255.0)).astype(np.uint8)
    return np.repeat(array, 3, axis=2) if array.shape[2] == 1 else array


def _wrong_hash_inverted(gray, hash_size=16):
    small = np.asarray(Image.fromarray(gray).resize((hash_size + 1, hash_size)), dtype=int)
    return (small[:, 1:] < small[:, :-1]).ravel()


def _wrong_hash_square(gray, hash_size=16):
    small = np.asarray(Image.fromarray(gray).resize((hash_size, hash_size)), dtype=int)
    return (small[:, 1:] > small[:, :-1]).ravel()


def _wrong_hash_default_filter(gray, hash_size=16):
    small = np.asarray(Image.fromarray(gray).resize((hash_size + 1, hash_size)), dtype=int)
    return (small[:, 1:] > small[:, :-1]).ravel()


def _wrong_split_ignores_groups(labels, groups, val_fraction, seed):
    indices = np.arange(len(labels))
    train, val = train_test_split(
        indices, test_size=val_fraction, stratify=labels, random_state=seed
    )
    return np.sort(train), np.sort(val)


def _wrong_split_not_stratified(labels, groups, val_fraction, seed):
    splitter = GroupShuffleSplit(n_splits=1, test_size=val_fraction, random_state=seed)
    train, val = next(splitter.split(np.zeros(len(labels)), labels, groups))
    return np.sort(train), np.sort(val)


def _wrong_split_ignores_seed(labels, groups, val_fraction, seed):
    from mri_course.data.splits import group_stratified_split

    return group_stratified_split(labels, groups, val_fraction, seed=0)


def _wrong_share_clean(row):
    return row.clean / row.images if row.images else 0.0


def _wrong_share_exact_only(row):
    return row.exact_copy_other_split / row.images if row.images else 0.0


def _wrong_share_percentage(row):
    return 100 * (row.images - row.clean) / row.images if row.images else 0.0


def _wrong_share_counts_within_split(row):
    leaked = row.images - row.clean + row.copy_within_split
    return leaked / row.images if row.images else 0.0


WRONG_ANSWERS = {
    "1.1": [(_wrong_count_without_zeros, "missing"), (_wrong_count_sorted_by_size, "order")],
    "1.2": [(_wrong_channels_drop_alpha, "transparent"), (_wrong_channels_cast_16_bit, "16-bit")],
    "1.3": [
        (_wrong_hash_inverted, "brighter to the right"),
        (_wrong_hash_square, "256 bits"),
        (_wrong_hash_default_filter, "test pattern"),
    ],
    "1.4": [
        (_wrong_split_ignores_groups, "leak"),
        (_wrong_split_not_stratified, "stratify"),
        (_wrong_split_ignores_seed, "seed"),
    ],
    "1.5": [
        (_wrong_share_clean, "clean share"),
        (_wrong_share_exact_only, "only the exact copies"),
        (_wrong_share_percentage, "percentage"),
        (_wrong_share_counts_within_split, "within"),
    ],
}
