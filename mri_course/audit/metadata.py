"""A model that never sees the brain: how much of a score the file alone can buy.

The dataset joins several sources. Its ``notumor`` scans come mostly from other collections
than the tumour scans, in other sizes, formats and framings, and the test set shares them.
A classifier that reads only what is *not* anatomy (the image's size and shape, its file
format and colour mode, how dark its border is, its overall brightness and contrast, the
file's size) therefore scores far above chance. Its accuracy is the yardstick for how much
of any model's score a shortcut can buy; ``benchmarks/results/metadata_baseline.md`` holds
it for the real dataset.

Every feature comes from the survey's one pass over the images (:mod:`mri_course.data.scan`):
nothing here decodes an image again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, recall_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from mri_course.data.index import ImageRecord
from mri_course.data.release import CLASS_NAMES
from mri_course.data.splits import Splits
from mri_course.data.survey import DatasetSurvey

FEATURES: tuple[str, ...] = (
    "width",
    "height",
    "aspect_ratio",  # width / height
    "square_512",  # 1 for the 512 x 512 images most tumour scans have
    "png",  # the bytes are PNG (a few files named .jpg are)
    "grayscale_file",  # stored with one channel (Pillow mode L)
    "gray_content",  # the three channels are equal
    "file_kilobytes",
    "mean_intensity",  # 0..255
    "intensity_std",  # of a 64 px thumbnail
    "border_mean",  # mean of the thumbnail's outer ring: how dark the frame is
    "dark_share",  # share of thumbnail pixels under 10: how much of the frame is background
)
"""What the baseline sees of an image, none of it anatomy."""

SIZE_FEATURES: tuple[str, ...] = ("width", "height", "aspect_ratio", "square_512")
BORDER = 4  # thumbnail pixels in the outer ring
DARK_LEVEL = 10


def metadata_features(survey: DatasetSurvey, records: Sequence[ImageRecord]) -> np.ndarray:
    """One row of ``FEATURES`` per record, from the survey's scan and the file's size."""
    scan = survey.scan
    row_of = {relpath: k for k, relpath in enumerate(scan.relpaths)}
    rows = np.array([row_of[record.relpath] for record in records], dtype=np.int64)
    thumbs = scan.thumbnails[rows].astype(np.float64)
    ring = np.ones(thumbs.shape[1:], dtype=bool)
    ring[BORDER:-BORDER, BORDER:-BORDER] = False
    widths, heights = scan.widths[rows].astype(np.float64), scan.heights[rows].astype(np.float64)
    columns = {
        "width": widths,
        "height": heights,
        "aspect_ratio": widths / heights,
        "square_512": (widths == 512) & (heights == 512),
        "png": scan.formats[rows] == "PNG",
        "grayscale_file": scan.modes[rows] == "L",
        "gray_content": scan.gray_content[rows],
        "file_kilobytes": [record.path.stat().st_size / 1024 for record in records],
        "mean_intensity": scan.mean_intensity[rows],
        "intensity_std": thumbs.std(axis=(1, 2)),
        "border_mean": thumbs[:, ring].mean(axis=1),
        "dark_share": (thumbs < DARK_LEVEL).mean(axis=(1, 2)),
    }
    return np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in FEATURES])


CANDIDATES = {
    "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    "decision tree, depth 4": DecisionTreeClassifier(max_depth=4),
    "random forest": RandomForestClassifier(n_estimators=200, min_samples_leaf=2, n_jobs=1),
}
"""The classifiers tried, from a few readable rules to many trees; the one with the best
validation accuracy is kept."""


@dataclass(frozen=True)
class SubsetResult:
    """One subset's accuracy and per-class recall (in ``CLASS_NAMES`` order)."""

    name: str
    images: int
    accuracy: float
    recall: tuple[float, ...]


@dataclass(frozen=True)
class MetadataBaseline:
    """The baseline's scores: chosen on validation, scored once on each test set.

    Attributes:
        features: the features it saw (``FEATURES`` or a subset such as ``SIZE_FEATURES``).
        validation: each candidate's validation accuracy.
        chosen: the candidate kept.
        subsets: its scores on validation, the official test and the clean test.
        importance: the drop in validation accuracy when each feature is shuffled
            (permutation importance): which part of the file gives the class away.
    """

    features: tuple[str, ...]
    validation: dict[str, float]
    chosen: str
    subsets: tuple[SubsetResult, ...]
    importance: dict[str, float]

    def subset(self, name: str) -> SubsetResult:
        return next(result for result in self.subsets if result.name == name)


def _scores(name: str, labels: np.ndarray, predicted: np.ndarray) -> SubsetResult:
    recall = recall_score(labels, predicted, labels=range(len(CLASS_NAMES)), average=None)
    return SubsetResult(name, len(labels), float(accuracy_score(labels, predicted)), tuple(recall))


def fit_metadata_baseline(
    survey: DatasetSurvey,
    splits: Splits,
    features: Sequence[str] = FEATURES,
    seed: int = 0,
) -> MetadataBaseline:
    """Fit each candidate on ``splits.train``, keep the best on ``splits.val``, score it.

    Args:
        survey: the dataset's survey (its scan holds every feature but the file size).
        splits: the course split (``survey.splits(...)``): train, val, test, clean_test.
        features: the names of the columns to use, from ``FEATURES``.
        seed: fixes the forests and the permutation importance.
    """
    unknown = sorted(set(features) - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown features {unknown}; choose from {', '.join(FEATURES)}")
    columns = [FEATURES.index(name) for name in features]

    def data(records):
        return metadata_features(survey, records)[:, columns], np.array(
            [record.label_index for record in records]
        )

    train, val = data(splits.train), data(splits.val)
    fitted, validation = {}, {}
    for name, candidate in CANDIDATES.items():
        model = clone(candidate)
        if "random_state" in model.get_params():
            model.set_params(random_state=seed)
        fitted[name] = model.fit(*train)
        validation[name] = float(accuracy_score(val[1], model.predict(val[0])))
    chosen = max(validation, key=validation.get)
    model = fitted[chosen]
    subsets = [_scores("val", val[1], model.predict(val[0]))]
    for name in ("test", "clean_test"):
        x, y = data(getattr(splits, name))
        subsets.append(_scores(name, y, model.predict(x)))
    shuffled = permutation_importance(model, *val, n_repeats=5, random_state=seed)
    importance = dict(zip(features, shuffled.importances_mean.round(4).tolist(), strict=True))
    return MetadataBaseline(tuple(features), validation, chosen, tuple(subsets), importance)


def baseline_markdown(baselines: Sequence[MetadataBaseline]) -> str:
    """One row per baseline and subset: accuracy, then the recall of each class."""
    lines = [
        "| features | classifier (chosen on validation) | subset | images | accuracy | "
        + " | ".join(CLASS_NAMES)
        + " |",
        "|---" * (5 + len(CLASS_NAMES)) + "|",
    ]
    for baseline in baselines:
        which = "size only" if tuple(baseline.features) == SIZE_FEATURES else "all metadata"
        for result in baseline.subsets:
            values = " | ".join(f"{value:.1%}" for value in (result.accuracy, *result.recall))
            lines.append(
                f"| {which} | {baseline.chosen} | {result.name} | {result.images} | {values} |"
            )
    return "\n".join(lines)
