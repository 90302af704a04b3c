"""Tables per group and class: the counts and accuracies match a direct computation."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score

from mri_course.audit.groups import accuracy_by_group, crosstab, size_group
from mri_course.data.release import CLASS_NAMES


def _random_scans(seed=0, n=300):
    rng = np.random.default_rng(seed)
    groups = list(rng.choice(["axial", "coronal", "sagittal"], n, p=[0.6, 0.3, 0.1]))
    labels = rng.integers(0, 4, n)
    predicted = np.where(rng.random(n) < 0.8, labels, rng.integers(0, 4, n))
    return groups, labels, predicted


def test_crosstab_counts_every_scan_once_in_its_group_and_class():
    groups, labels, _ = _random_scans()
    table = crosstab(groups, labels, "plane")
    assert table.groups == ("axial", "coronal", "sagittal")
    for g, group in enumerate(table.groups):
        for c in range(len(CLASS_NAMES)):
            expected = sum(1 for x, y in zip(groups, labels, strict=True) if x == group and y == c)
            assert table.counts[g][c] == expected
    assert sum(map(sum, table.counts)) == len(labels)
    with pytest.raises(ValueError, match="holds no accuracy"):
        table.accuracy("axial")


def test_accuracy_by_group_is_scikit_learns_accuracy_on_each_part():
    groups, labels, predicted = _random_scans(1)
    table = accuracy_by_group(groups, labels, predicted, "plane")
    groups = np.array(groups)
    for group in table.groups:
        part = groups == group
        assert table.accuracy(group) == pytest.approx(accuracy_score(labels[part], predicted[part]))
        for c, name in enumerate(CLASS_NAMES):
            cell = part & (labels == c)
            expected = accuracy_score(labels[cell], predicted[cell]) if cell.any() else None
            assert table.accuracy(group, name) == pytest.approx(expected)


def test_an_empty_cell_reads_as_a_dash_not_as_zero():
    table = accuracy_by_group(["sagittal", "axial"], [2, 0], [2, 1], "plane")
    assert table.accuracy("sagittal", "glioma") is None
    assert table.accuracy("axial", "glioma") == 0.0
    markdown = table.to_markdown()
    assert "| sagittal | - | - | 100.0% (1) | - | 100.0% (1) |" in markdown
    with pytest.raises(ValueError, match="one of each per scan"):
        accuracy_by_group(["axial"], [0, 1], [0, 1], "plane")


def test_size_groups_separate_the_512_pixel_scans():
    assert size_group(512, 512) == "512 x 512"
    assert size_group(256, 256) == "square, other size"
    assert size_group(630, 512) == "not square"
