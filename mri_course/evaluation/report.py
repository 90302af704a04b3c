"""The evaluation report: one model, every test set side by side, with intervals.

The same model is scored on the validation set, the official ``Testing/`` folder (the
figure papers and notebooks quote), its *clean* part (no copy of a training scan), the part
that does have a copy, and the test half of the brief's original split. Seeing them
together is the point: whether the dataset's duplicates add to a score is measured, not
assumed (mind the classes: nearly every ``notumor`` test scan has a copy in training).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mri_course.data.release import CLASS_NAMES
from mri_course.data.splits import Splits
from mri_course.evaluation.bootstrap import bootstrap_interval
from mri_course.evaluation.calibration import (
    ConfidentPredictions,
    confident_predictions,
    expected_calibration_error,
)
from mri_course.evaluation.metrics import confusion_matrix, per_class_scores
from mri_course.evaluation.predict import Predictions, predict

SUBSETS = {
    "val": "validation: 15% of Training/, duplicate groups kept whole (chose the epoch)",
    "test": "official test: all of Testing/ (the figure published results quote)",
    "clean_test": "clean test: the Testing/ scans with no exact or near copy in Training/",
    "copied_test": "copied test: the Testing/ scans that do have a copy in Training/",
    "brief_test": "the brief's test: half of Testing/, split as the original project did",
}


@dataclass(frozen=True)
class SubsetScores:
    """Accuracy with its 95% interval, calibration and per-class scores on one subset."""

    name: str
    description: str
    images: int
    accuracy: float
    interval: tuple[float, float] | None  # None with fewer than two images
    ece: float
    confusion: np.ndarray
    per_class: dict[str, dict[str, float]]

    def to_dict(self) -> dict:
        return {
            "description": self.description,
            "images": self.images,
            "accuracy": round(self.accuracy, 5),
            "accuracy_95ci": [round(v, 5) for v in self.interval] if self.interval else None,
            "ece": round(self.ece, 5),
            "confusion_matrix": self.confusion.tolist(),
            "per_class": {
                name: {k: round(v, 5) if isinstance(v, float) else v for k, v in scores.items()}
                for name, scores in self.per_class.items()
            },
        }


def score_subset(predictions: Predictions, name: str, description: str = "") -> SubsetScores:
    """Every figure of one subset from its predictions (no model needed)."""
    if not len(predictions.records):
        raise ValueError(f"the subset {name!r} is empty: there is nothing to score")
    correct = predictions.correct.astype(np.float64)
    return SubsetScores(
        name=name,
        description=description or SUBSETS.get(name, name),
        images=len(correct),
        accuracy=float(correct.mean()),
        interval=bootstrap_interval(correct) if len(correct) > 1 else None,
        ece=expected_calibration_error(predictions.probabilities, predictions.labels),
        confusion=confusion_matrix(predictions.labels, predictions.predicted, len(CLASS_NAMES)),
        per_class=per_class_scores(predictions.labels, predictions.predicted),
    )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _interval(interval: tuple[float, float] | None) -> str:
    return "-" if interval is None else f"[{interval[0]:.1%}, {interval[1]:.1%}]"


@dataclass(frozen=True)
class EvaluationReport:
    """A model's scores on each subset, and what its confidence of 99% is worth."""

    model: str
    source: str  # where the model was loaded from
    subsets: tuple[SubsetScores, ...]
    confident: ConfidentPredictions  # on the official test set

    def subset(self, name: str) -> SubsetScores:
        for scores in self.subsets:
            if scores.name == name:
                return scores
        raise KeyError(f"no subset {name!r} in this report")

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "source": self.source,
            "subsets": {s.name: s.to_dict() for s in self.subsets},
            "confidence_99": {
                "share": round(self.confident.share, 5),
                "count": self.confident.count,
                "accuracy": self.confident.accuracy,
                "wrong": self.confident.wrong,
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def _rows(self) -> list[tuple[str, ...]]:
        return [
            (s.name, str(s.images), _percent(s.accuracy), _interval(s.interval), f"{s.ece:.3f}")
            for s in self.subsets
        ]

    def to_text(self) -> str:
        header = ("subset", "images", "accuracy", "95% interval", "ECE")
        widths = (12, 7, 10, 17, 7)
        lines = [f"{self.model} ({self.source})" if self.source else self.model]
        for row in (header, *self._rows()):
            lines.append(
                "".join(
                    f"{c:<{w}}" if k == 0 else f"{c:>{w}}"
                    for k, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
        lines.append(f"official test: {self.confident.to_text()}")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        lines = [
            f"# Evaluation of {self.model}",
            "",
            *([f"Model: `{self.source}`", ""] if self.source else []),
            "| subset | images | accuracy | 95% interval | ECE |",
            "| --- | ---: | ---: | ---: | ---: |",
            *(f"| {' | '.join(row)} |" for row in self._rows()),
            "",
            *(f"* **{s.name}**: {s.description}" for s in self.subsets),
            "",
            f"Official test: {self.confident.to_text()}.",
        ]
        for scores in self.subsets:
            lines += [
                "",
                f"## {scores.name}: per class",
                "",
                "| class | precision | recall | F1 | images |",
                "| --- | ---: | ---: | ---: | ---: |",
                *(
                    f"| {name} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} "
                    f"| {c['support']} |"
                    for name, c in scores.per_class.items()
                ),
            ]
        return "\n".join(lines) + "\n"


def evaluate_model(
    model, splits: Splits, brief: Splits, name: str, source: str = "", batch_size: int = 64
) -> tuple[EvaluationReport, dict[str, Predictions]]:
    """Score ``model`` on validation, official test, its clean and copied parts, and the
    brief's test half.

    The test scans are predicted once; the other test subsets are read off those
    predictions. Returns the report and the predictions of each subset (for figures).
    """
    test = predict(model, splits.test, batch_size)
    clean = {record.relpath for record in splits.clean_test}
    predictions = {
        "val": predict(model, splits.val, batch_size),
        "test": test,
        "clean_test": test.subset(splits.clean_test),
        "copied_test": test.subset([r for r in splits.test if r.relpath not in clean]),
        "brief_test": test.subset(brief.test),
    }
    subsets = tuple(
        score_subset(found, subset) for subset, found in predictions.items() if found.records
    )
    confident = confident_predictions(test.probabilities, test.labels, 0.99)
    return EvaluationReport(name, source, subsets, confident), predictions


def comparison_markdown(reports: Sequence[EvaluationReport], missing: Sequence[str] = ()) -> str:
    """Models side by side: accuracy with interval on the official and the clean test.

    ``missing`` lists lines for models that could not be scored (e.g. not trained yet).
    """
    lines = [
        "| model | official test | 95% interval | clean test | 95% interval | ECE (clean) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for report in reports:
        test, clean = report.subset("test"), report.subset("clean_test")
        lines.append(
            f"| {report.model} | {_percent(test.accuracy)} | {_interval(test.interval)} | "
            f"{_percent(clean.accuracy)} | {_interval(clean.interval)} | {clean.ece:.3f} |"
        )
    lines += [f"| {line} | - | - | - | - | - |" for line in missing]
    return "\n".join(lines)
