"""How far the official Training/Testing split leaks, by class and split.

A test image with a copy in the training data measures memory, not skill; an accuracy on
``Testing/`` that counts such images is inflated. This report counts them, and the
"clean test" subset (:mod:`mri_course.data.splits`) leaves them out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from mri_course.data.duplicates import Duplicates, groups_by_id
from mri_course.data.index import ImageRecord
from mri_course.data.release import CLASS_NAMES, SPLIT_NAMES


@dataclass(frozen=True)
class LeakageRow:
    """Counts for one split and class."""

    split: str
    label: str
    images: int
    copy_within_split: int  # has an exact or near copy in the same split
    exact_copy_other_split: int  # has an identical copy in the other split
    near_copy_other_split: int  # has only near (not identical) copies in the other split
    clean: int  # no copy of any kind in the other split


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
    if row.images == 0:
        return 0.0
    return (row.images - row.clean) / row.images


@dataclass(frozen=True)
class CrossSplitExample:
    """A Testing image and a Training image that are copies of each other."""

    test: str
    train: str
    kind: str
    similarity: float


@dataclass(frozen=True)
class LeakageReport:
    rows: tuple[LeakageRow, ...]
    exact_groups: int
    images_in_exact_groups: int
    groups: int
    images_in_groups: int
    label_conflicts: tuple[tuple[str, ...], ...]  # groups whose copies carry different labels
    examples: tuple[CrossSplitExample, ...]
    unusable: int  # files left out because they do not decode

    def row(self, split: str, label: str) -> LeakageRow:
        return next(r for r in self.rows if r.split == split and r.label == label)

    def total(self, split: str, field: str) -> int:
        return sum(getattr(r, field) for r in self.rows if r.split == split)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    def to_text(self) -> str:
        """A plain-text table, as ``mri-course data leakage`` prints it."""
        lines = [
            f"Exact duplicate groups: {self.exact_groups} ({self.images_in_exact_groups} images); "
            f"all duplicate groups, exact or near: {self.groups} ({self.images_in_groups} images)",
            f"Groups whose copies carry different labels: {len(self.label_conflicts)}",
            *(f"  - {', '.join(group)}" for group in self.label_conflicts[:5]),
            *(
                [f"Left out: {self.unusable} file(s) that do not decode (see data verify)"]
                if self.unusable
                else []
            ),
            "",
            f"{'split':<9}{'class':<12}{'images':>7}{'copy in':>9}{'exact copy':>12}"
            f"{'near copy':>11}{'clean':>7}",
            f"{'':<9}{'':<12}{'':>7}{'split':>9}{'in other':>12}{'in other':>11}{'':>7}",
        ]
        fields = (
            "images",
            "copy_within_split",
            "exact_copy_other_split",
            "near_copy_other_split",
            "clean",
        )
        for split in SPLIT_NAMES:
            for r in (r for r in self.rows if r.split == split):
                lines.append(
                    f"{r.split:<9}{r.label:<12}{r.images:>7}{r.copy_within_split:>9}"
                    f"{r.exact_copy_other_split:>12}{r.near_copy_other_split:>11}{r.clean:>7}"
                )
            t = [self.total(split, f) for f in fields]
            lines.append(f"{split:<9}{'all':<12}{t[0]:>7}{t[1]:>9}{t[2]:>12}{t[3]:>11}{t[4]:>7}")
        test = LeakageRow("Testing", "all", *(self.total("Testing", f) for f in fields))
        leaked = test.images - test.clean
        if test.images:
            lines += [
                "",
                f"{leaked} of {test.images} Testing images ({leaked_share(test):.1%}) have a "
                "copy in Training: the clean test set is the other "
                f"{test.clean}.",
            ]
        return "\n".join(lines)


def leakage_report(
    records: Sequence[ImageRecord],
    duplicates: Duplicates,
    usable: np.ndarray | None = None,
    max_examples: int = 12,
) -> LeakageReport:
    """Count duplicates by split and class.

    ``records`` are the rows the scan was made of; ``usable`` marks the ones that decode
    (default: all). Files that do not decode are left out of every count, as they are left
    out of every split.
    """
    splits = np.array([r.split for r in records])
    labels = np.array([r.label for r in records])
    usable = np.ones(len(records), dtype=bool) if usable is None else np.asarray(usable)
    group_ids, exact_ids = duplicates.group_ids, duplicates.exact_ids

    def has_copy(ids: np.ndarray, same_split: bool) -> np.ndarray:
        out = np.zeros(len(records), dtype=bool)
        for members in groups_by_id(ids):
            for i in members:
                others = members[members != i]
                match = splits[others] == splits[i]
                out[i] = bool(np.any(match if same_split else ~match))
        return out

    within = has_copy(group_ids, same_split=True)
    other_any = has_copy(group_ids, same_split=False)
    other_exact = has_copy(exact_ids, same_split=False)
    rows = []
    for split in SPLIT_NAMES:
        for label in CLASS_NAMES:
            here = (splits == split) & (labels == label) & usable
            rows.append(
                LeakageRow(
                    split=split,
                    label=label,
                    images=int(here.sum()),
                    copy_within_split=int((here & within).sum()),
                    exact_copy_other_split=int((here & other_exact).sum()),
                    near_copy_other_split=int((here & other_any & ~other_exact).sum()),
                    clean=int((here & ~other_any).sum()),
                )
            )
    groups = duplicates.groups()
    exact_groups = duplicates.exact_groups()
    conflicts = tuple(
        tuple(records[i].relpath for i in g) for g in groups if len(set(labels[g])) > 1
    )
    return LeakageReport(
        rows=tuple(rows),
        exact_groups=len(exact_groups),
        images_in_exact_groups=int(sum(len(g) for g in exact_groups)),
        groups=len(groups),
        images_in_groups=int(sum(len(g) for g in groups)),
        label_conflicts=conflicts,
        examples=_cross_split_examples(records, duplicates, max_examples),
        unusable=int((~usable).sum()),
    )


def _cross_split_examples(
    records: Sequence[ImageRecord], duplicates: Duplicates, limit: int
) -> tuple[CrossSplitExample, ...]:
    """Up to ``limit`` Testing/Training copy pairs, alternating exact and near ones."""
    by_kind: dict[str, list[CrossSplitExample]] = {"exact": [], "near": []}
    for (i, j), kind, sim in zip(
        duplicates.pairs, duplicates.kinds, duplicates.similarity, strict=True
    ):
        a, b = records[i], records[j]
        if a.split == b.split:
            continue
        test, train = (a, b) if a.split == "Testing" else (b, a)
        by_kind[str(kind)].append(
            CrossSplitExample(test.relpath, train.relpath, str(kind), round(float(sim), 4))
        )
    examples: list[CrossSplitExample] = []
    for pair in zip(by_kind["exact"], by_kind["near"], strict=False):
        examples.extend(pair)
    rest = by_kind["exact"][len(examples) // 2 :] + by_kind["near"][len(examples) // 2 :]
    return tuple((examples + rest)[:limit])
