"""The confound, measured: how the classes spread over groups, and accuracy per group.

A model can score well overall and fail on a group the test set barely holds: a class that
the training set shows in only one slice plane, or from only one source. Two tables show
it. :func:`crosstab` counts each class in each group (is ``notumor`` ever sagittal?);
:func:`accuracy_by_group` scores a model per group and class (is it right on the
sagittal ``notumor`` scans there are?). The groups are any label per record: the slice
plane (:mod:`.planes`) or a proxy for the source, :func:`size_group`, since the
dataset's sources differ most visibly in image size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mri_course.data.release import CLASS_NAMES
from mri_course.data.survey import DatasetSurvey


def size_group(width: int, height: int) -> str:
    """A proxy for an image's source: its size (most tumour scans are 512 x 512)."""
    if (width, height) == (512, 512):
        return "512 x 512"
    return "square, other size" if width == height else "not square"


def size_groups(survey: DatasetSurvey, records: Sequence) -> list[str]:
    """:func:`size_group` of each record, from the survey's scan."""
    row_of = {relpath: k for k, relpath in enumerate(survey.scan.relpaths)}
    rows = [row_of[record.relpath] for record in records]
    return [size_group(survey.scan.widths[k], survey.scan.heights[k]) for k in rows]


@dataclass(frozen=True)
class GroupTable:
    """Scans per (group, class), and for an accuracy table how many of them were right.

    ``counts[g][c]`` is the number of scans of class ``c`` in group ``g``; ``right`` is
    None for a plain count (:func:`crosstab`), else the number predicted correctly
    (:func:`accuracy_by_group`).
    """

    title: str
    groups: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    right: tuple[tuple[int, ...], ...] | None = None

    def accuracy(self, group: str, label: str | None = None) -> float | None:
        """The share right in a group (and class); None where there is no scan."""
        if self.right is None:
            raise ValueError("a crosstab counts scans; it holds no accuracy")
        g = self.groups.index(group)
        columns = range(len(CLASS_NAMES)) if label is None else [CLASS_NAMES.index(label)]
        total = sum(self.counts[g][c] for c in columns)
        return None if total == 0 else sum(self.right[g][c] for c in columns) / total

    def to_markdown(self) -> str:
        """Counts, or accuracies with their counts; ``-`` where a group has no such scan."""
        lines = [
            f"| {self.title} | " + " | ".join(CLASS_NAMES) + " | all |",
            "|---" * (len(CLASS_NAMES) + 2) + "|",
        ]
        for g, group in enumerate(self.groups):
            cells = []
            for label in (*CLASS_NAMES, None):
                count = (
                    sum(self.counts[g])
                    if label is None
                    else self.counts[g][CLASS_NAMES.index(label)]
                )
                if self.right is None:
                    cells.append(str(count))
                else:
                    value = self.accuracy(group, label)
                    cells.append("-" if value is None else f"{value:.1%} ({count})")
            lines.append(f"| {group} | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def _counts(groups: Sequence[str], labels: np.ndarray, order: Sequence[str]) -> tuple:
    counts = np.zeros((len(order), len(CLASS_NAMES)), dtype=np.int64)
    for group, label in zip(groups, labels, strict=True):
        counts[order.index(group), label] += 1
    return tuple(tuple(int(c) for c in row) for row in counts)


def crosstab(
    groups: Sequence[str], labels: Sequence[int], title: str, order: Sequence[str] | None = None
) -> GroupTable:
    """How many scans of each class fall in each group."""
    order = list(order or sorted(set(groups)))
    return GroupTable(title, tuple(order), _counts(groups, np.asarray(labels), order))


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
