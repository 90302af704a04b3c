"""Train / validation / test splits that keep copies of one scan on one side.

Two splits are offered:

* the course split (default): train and validation drawn from ``Training/`` with every
  duplicate group kept whole, test = the official ``Testing/`` folder, and the *clean test*
  subset of it, the test images with no exact or near copy anywhere in ``Training/``;
* the brief's split, as in the original project: all of ``Training/`` for training and the
  two halves of ``Testing/`` as validation and test. It is here to show what it hides.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from mri_course.data.index import ImageRecord, count_images_per_class
from mri_course.data.release import CLASS_NAMES

SUBSETS = ("train", "val", "test", "clean_test")


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
    labels = np.asarray(labels)
    groups = np.asarray(groups)
    if len(labels) != len(groups):
        raise ValueError(f"{len(labels)} labels but {len(groups)} group ids")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")

    class_sizes = Counter(labels.tolist())
    target = {label: round(val_fraction * size) for label, size in class_sizes.items()}
    taken = dict.fromkeys(class_sizes, 0)

    members: dict[object, list[int]] = defaultdict(list)
    for index, group in enumerate(groups.tolist()):
        members[group].append(index)
    group_names = list(members)
    visit_order = np.random.default_rng(seed).permutation(len(group_names))

    in_val = np.zeros(len(labels), dtype=bool)
    for position in visit_order:
        indices = members[group_names[position]]
        needed = Counter(labels[indices].tolist())
        if all(taken[label] + count <= target[label] for label, count in needed.items()):
            in_val[indices] = True
            for label, count in needed.items():
                taken[label] += count
    return np.flatnonzero(~in_val), np.flatnonzero(in_val)


@dataclass(frozen=True)
class Splits:
    """Records for each subset, plus a name and a sentence saying how they were made."""

    name: str
    description: str
    train: tuple[ImageRecord, ...]
    val: tuple[ImageRecord, ...]
    test: tuple[ImageRecord, ...]
    clean_test: tuple[ImageRecord, ...]

    def subset(self, name: str) -> tuple[ImageRecord, ...]:
        if name not in SUBSETS:
            raise ValueError(f"subset must be one of {SUBSETS}, got {name!r}")
        return getattr(self, name)

    def counts(self) -> dict[str, dict[str, int]]:
        return {name: count_images_per_class(self.subset(name)) for name in SUBSETS}

    def to_text(self) -> str:
        header = f"{'subset':<11}" + "".join(f"{c:>12}" for c in CLASS_NAMES) + f"{'total':>8}"
        lines = [f"{self.name}: {self.description}", header]
        for name, counts in self.counts().items():
            cells = "".join(f"{counts[c]:>12}" for c in CLASS_NAMES)
            lines.append(f"{name:<11}{cells}{sum(counts.values()):>8}")
        return "\n".join(lines)


def _clean(test: Sequence[int], records: Sequence[ImageRecord], group_ids: np.ndarray) -> list:
    """The test indices whose duplicate group has no member in ``Training/``."""
    training_groups = {
        g for g, r in zip(group_ids.tolist(), records, strict=True) if r.split == "Training"
    }
    return [i for i in test if group_ids[i] not in training_groups]


def course_splits(
    records: Sequence[ImageRecord],
    group_ids: np.ndarray,
    val_fraction: float,
    seed: int,
) -> Splits:
    """The course's split: group-aware train/validation from ``Training/``, test = ``Testing/``.

    ``group_ids`` holds one duplicate-group id per record (see
    :func:`mri_course.data.duplicates.find_duplicates`); pass only records that decode.
    """
    group_ids = np.asarray(group_ids)
    training = [i for i, r in enumerate(records) if r.split == "Training"]
    testing = [i for i, r in enumerate(records) if r.split == "Testing"]
    train_pos, val_pos = group_stratified_split(
        [records[i].label for i in training], group_ids[training], val_fraction, seed
    )
    return Splits(
        name="course split",
        description=(
            f"train/validation = {1 - val_fraction:.0%}/{val_fraction:.0%} of Training/ with "
            "duplicate groups kept whole; test = Testing/; clean test = Testing/ images with "
            "no exact or near copy in Training/"
        ),
        train=tuple(records[training[k]] for k in train_pos),
        val=tuple(records[training[k]] for k in val_pos),
        test=tuple(records[i] for i in testing),
        clean_test=tuple(records[i] for i in _clean(testing, records, group_ids)),
    )


def brief_splits(records: Sequence[ImageRecord], group_ids: np.ndarray, seed: int = 20) -> Splits:
    """The original project's split: Training/ to train, halves of Testing/ to validate and test.

    As there, the halves come from scikit-learn's ``train_test_split`` (stratified, seed 20).
    Nothing keeps copies apart, so validation and test share scans with each other and with
    the training set.
    """
    group_ids = np.asarray(group_ids)
    training = [i for i, r in enumerate(records) if r.split == "Training"]
    testing = [i for i, r in enumerate(records) if r.split == "Testing"]
    per_class = count_images_per_class(records[i] for i in testing)
    too_few = [label for label, count in per_class.items() if count < 2]
    if too_few:
        raise ValueError(
            f"the brief's split halves Testing/ per class and needs 2 or more images of each; "
            f"{', '.join(f'{label} has {per_class[label]}' for label in too_few)}"
        )
    val, test = train_test_split(
        testing,
        train_size=0.5,
        random_state=seed,
        stratify=[records[i].label for i in testing],
    )
    return Splits(
        name="brief split",
        description="train = Training/; validation and test = the two halves of Testing/",
        train=tuple(records[i] for i in training),
        val=tuple(records[i] for i in sorted(val)),
        test=tuple(records[i] for i in sorted(test)),
        clean_test=tuple(records[i] for i in _clean(sorted(test), records, group_ids)),
    )
