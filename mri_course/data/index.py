"""The file index: which image files the dataset holds, with their split and label.

The label of a scan is the name of the folder it sits in, exactly as in the Kaggle release
(``Training/glioma/Tr-gl_0000.jpg``). Indexing only lists files; decoding them is the job of
:mod:`mri_course.data.verify` and :mod:`mri_course.data.scan`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mri_course.data.release import CLASS_NAMES, SPLIT_NAMES

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
"""Extensions treated as images. The extension only decides what is *listed*: the decoder
sniffs the real format from the bytes (five ``.jpg`` files of the release are PNG)."""


@dataclass(frozen=True, order=True)
class ImageRecord:
    """One image of the dataset: where it is, which official split, which class."""

    relpath: str
    split: str
    label: str
    root: Path

    @property
    def path(self) -> Path:
        return self.root / self.relpath

    @property
    def label_index(self) -> int:
        return CLASS_NAMES.index(self.label)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the dataset, said so that a person can act on it."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True)
class DatasetIndex:
    """Every image record of a dataset folder, plus what looked wrong while listing it."""

    root: Path
    records: tuple[ImageRecord, ...]
    problems: tuple[Problem, ...]

    def in_split(self, split: str) -> tuple[ImageRecord, ...]:
        if split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, got {split!r}")
        return tuple(r for r in self.records if r.split == split)

    def counts(self) -> dict[str, dict[str, int]]:
        """Images per split and class, e.g. ``counts()["Testing"]["glioma"]``."""
        return {split: count_images_per_class(self.in_split(split)) for split in SPLIT_NAMES}


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
    counts = dict.fromkeys(CLASS_NAMES, 0)
    for record in records:
        counts[record.label] += 1
    return counts


def index_dataset(root: Path | str) -> DatasetIndex:
    """List the images of a dataset folder laid out as ``<split>/<class>/<file>``.

    Missing split or class folders, unexpected folders and files that are not images are
    reported as problems instead of being skipped in silence; files are sorted so that the
    index (and everything derived from it, such as splits) is the same on every machine.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset folder {root} does not exist")
    records: list[ImageRecord] = []
    problems: list[Problem] = []
    for split in SPLIT_NAMES:
        split_dir = root / split
        if not split_dir.is_dir():
            problems.append(Problem(f"{split}/", "missing split folder"))
            continue
        for child in sorted(split_dir.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir() and child.name not in CLASS_NAMES:
                problems.append(
                    Problem(f"{split}/{child.name}/", "not one of the four classes: ignored")
                )
            elif not child.is_dir():
                problems.append(Problem(f"{split}/{child.name}", "file outside a class folder"))
        for label in CLASS_NAMES:
            class_dir = split_dir / label
            if not class_dir.is_dir():
                problems.append(Problem(f"{split}/{label}/", "missing class folder"))
                continue
            for path in sorted(class_dir.iterdir()):
                relpath = path.relative_to(root).as_posix()
                if path.name.startswith("."):
                    continue
                if not path.is_file():
                    problems.append(Problem(relpath, "unexpected folder inside a class folder"))
                elif path.suffix.lower() not in IMAGE_SUFFIXES:
                    problems.append(Problem(relpath, "not an image file: ignored"))
                else:
                    records.append(ImageRecord(relpath, split, label, root))
    return DatasetIndex(root=root, records=tuple(records), problems=tuple(problems))
