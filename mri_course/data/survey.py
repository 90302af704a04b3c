"""Everything known about a dataset folder after one scan: index, verify, duplicates, splits.

``survey_dataset`` is what lessons and commands call; the pieces it joins live in their own
modules and can be used alone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from mri_course.data.duplicates import MAX_HAMMING, MIN_SIMILARITY, Duplicates, find_duplicates
from mri_course.data.index import DatasetIndex, ImageRecord, index_dataset
from mri_course.data.leakage import LeakageReport, leakage_report
from mri_course.data.release import RELEASE_COUNTS
from mri_course.data.scan import ScanResult, scan_images
from mri_course.data.splits import Splits, brief_splits, course_splits
from mri_course.data.synthetic import load_synthetic_dataset
from mri_course.data.verify import VerifyReport, verify_dataset
from mri_course.io import atomic_write_bytes


def expected_counts_for(root: Path) -> dict[str, dict[str, int]]:
    """The counts a folder should have: its synthetic manifest's, else the Kaggle release's."""
    synthetic = load_synthetic_dataset(root)
    return synthetic.counts if synthetic is not None else RELEASE_COUNTS


@dataclass(frozen=True)
class DatasetSurvey:
    index: DatasetIndex
    scan: ScanResult
    duplicates: Duplicates

    @property
    def root(self) -> Path:
        return self.index.root

    @property
    def usable(self) -> np.ndarray:
        """Mask of the records that decode (the only ones a model may see)."""
        return self.scan.usable

    @property
    def usable_records(self) -> tuple[ImageRecord, ...]:
        return tuple(r for r, ok in zip(self.index.records, self.usable, strict=True) if ok)

    def count_with_copy_in(
        self, records: Sequence[ImageRecord], others: Sequence[ImageRecord]
    ) -> int:
        """How many of ``records`` have an exact or near copy among ``others``."""
        group_of = dict(
            zip((r.relpath for r in self.index.records), self.duplicates.group_ids, strict=True)
        )
        groups_of_others = {group_of[r.relpath] for r in others}
        return sum(group_of[r.relpath] in groups_of_others for r in records)

    def verify(self) -> VerifyReport:
        return verify_dataset(self.index, self.scan, expected_counts_for(self.root))

    def leakage(self) -> LeakageReport:
        return leakage_report(self.index.records, self.duplicates, self.usable)

    def splits(self, val_fraction: float, seed: int) -> Splits:
        """The course split (group-aware train/validation, official test, clean test)."""
        return course_splits(
            self.usable_records, self.duplicates.group_ids[self.usable], val_fraction, seed
        )

    def brief_splits(self, seed: int = 20) -> Splits:
        """The original project's split, for comparison."""
        return brief_splits(self.usable_records, self.duplicates.group_ids[self.usable], seed)


DUPLICATES_VERSION = 1
"""Raise when find_duplicates changes its results, so cached ones are not served."""


def _duplicates_cache(cache_dir: Path, scan: ScanResult) -> Path:
    name = f"{scan.fingerprint()[:24]}-v{DUPLICATES_VERSION}-h{MAX_HAMMING}-s{MIN_SIMILARITY}.npz"
    return cache_dir / "duplicates" / name


def _load_duplicates(path: Path) -> Duplicates | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            return Duplicates(**{f.name: stored[f.name] for f in fields(Duplicates)})
    except (OSError, KeyError, ValueError):
        return None


def _save_duplicates(path: Path, duplicates: Duplicates) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{f.name: getattr(duplicates, f.name) for f in fields(Duplicates)})
    atomic_write_bytes(path, buffer.getvalue())


def survey_dataset(
    root: Path | str,
    cache_dir: Path | None = None,
    progress: bool = True,
    workers: int | None = None,
) -> DatasetSurvey:
    """Index, scan and de-duplicate the dataset at ``root``; cached in ``cache_dir``."""
    index = index_dataset(root)
    scan = scan_images(index.records, cache_dir=cache_dir, workers=workers, progress=progress)
    duplicates = None
    cache_file = _duplicates_cache(Path(cache_dir), scan) if cache_dir is not None else None
    if cache_file is not None and cache_file.exists():
        duplicates = _load_duplicates(cache_file)
    if duplicates is None or len(duplicates.group_ids) != len(scan):
        duplicates = find_duplicates(scan)
        if cache_file is not None:
            _save_duplicates(cache_file, duplicates)
    return DatasetSurvey(index=index, scan=scan, duplicates=duplicates)
