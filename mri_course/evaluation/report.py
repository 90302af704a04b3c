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
from mri_course.evaluation.conformal import coverage_by_class
from mri_course.evaluation.metrics import confusion_matrix, per_class_scores
from mri_course.evaluation.predict import Predictions, predict
from mri_course.evaluation.uncertainty import Uncertainty, fit_uncertainty

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
    uncertainty: dict | None = None  # calibration and 95% sets, see uncertainty_scores

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
            **({"uncertainty": self.uncertainty} if self.uncertainty else {}),
        }


def uncertainty_scores(predictions: Predictions, uncertainty: Uncertainty) -> dict:
    """Calibration before and after the temperature, and the 95% sets, on one subset.

    ECE, negative log-likelihood (scikit-learn's ``log_loss``) and Brier score (the squared
    distance to the one-hot truth, scikit-learn's ``brier_score_loss``) of the raw and the
    temperature-scaled probabilities; coverage and mean size of the marginal and the
    class-conditional sets, coverage per class, and the share of wrong answers whose set
    holds more than one class (the errors the set flags).
    """
    from sklearn.metrics import brier_score_loss, log_loss

    labels = predictions.labels
    raw = predictions.probabilities.astype(np.float64)
    raw /= raw.sum(axis=1, keepdims=True)  # float32 softmax rows miss 1 by ~1e-7: sklearn warns
    calibrated = uncertainty.calibrated(raw)
    classes = list(range(len(CLASS_NAMES)))
    found: dict = {}
    for kind, probabilities in (("raw", raw), ("calibrated", calibrated)):
        found[kind] = {
            "ece": round(expected_calibration_error(probabilities, labels), 5),
            "nll": round(float(log_loss(labels, probabilities, labels=classes)), 5),
            "brier": round(float(brier_score_loss(labels, probabilities, labels=classes)), 5),
        }
    wrong = ~predictions.correct
    for kind in ("marginal", "class_conditional"):
        sets = uncertainty.sets(raw, class_conditional=kind == "class_conditional")
        per_class = coverage_by_class(sets, labels, len(CLASS_NAMES))
        sizes = sets.sum(axis=1)
        found[f"sets_{kind}"] = {
            "coverage": round(float(sets[np.arange(len(labels)), labels].mean()), 5),
            "mean_size": round(float(sizes.mean()), 4),
            "coverage_per_class": {
                name: None if np.isnan(c) else round(float(c), 5)
                for name, c in zip(CLASS_NAMES, per_class, strict=True)
            },
            "errors": int(wrong.sum()),
            "errors_with_several_classes": int((sizes[wrong] > 1).sum()),
        }
    return found


def score_subset(
    predictions: Predictions,
    name: str,
    description: str = "",
    uncertainty: Uncertainty | None = None,
) -> SubsetScores:
    """Every figure of one subset from its predictions (no model needed); with a fitted
    ``uncertainty``, its calibration and prediction sets too."""
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
        uncertainty=uncertainty_scores(predictions, uncertainty) if uncertainty else None,
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
    uncertainty: Uncertainty | None = None  # fitted on the validation split

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
            **({"uncertainty": self.uncertainty.to_dict()} if self.uncertainty else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def _rows(self) -> list[tuple[str, ...]]:
        rows = []
        for s in self.subsets:
            row = (s.name, str(s.images), _percent(s.accuracy), _interval(s.interval))
            row += (f"{s.ece:.3f}",)
            if s.uncertainty:
                sets = s.uncertainty["sets_class_conditional"]
                row += (
                    f"{s.uncertainty['calibrated']['ece']:.3f}",
                    _percent(sets["coverage"]),
                    f"{sets['mean_size']:.2f}",
                )
            elif self.uncertainty:
                row += ("-", "-", "-")
            rows.append(row)
        return rows

    def _header(self) -> tuple[str, ...]:
        header = ("subset", "images", "accuracy", "95% interval", "ECE")
        if self.uncertainty:
            header += ("ECE at T", "95% set holds truth", "set size")
        return header

    def to_text(self) -> str:
        header = self._header()
        widths = (12, 7, 10, 17, 7, 10, 21, 10)[: len(header)]
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
            f"| {' | '.join(self._header())} |",
            "| --- |" + " ---: |" * (len(self._header()) - 1),
            *(f"| {' | '.join(row)} |" for row in self._rows()),
            "",
            *(f"* **{s.name}**: {s.description}" for s in self.subsets),
            "",
            f"Official test: {self.confident.to_text()}.",
        ]
        if self.uncertainty:
            lines += self._uncertainty_markdown()
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

    def _uncertainty_markdown(self) -> list[str]:
        fitted = self.uncertainty
        lines = [
            "",
            "## Calibration and 95% prediction sets",
            "",
            f"Temperature **{fitted.temperature:.3f}**, fitted on the validation split; LAC "
            f"conformal thresholds at {1 - fitted.marginal.alpha:.0%} calibrated on its "
            f"{fitted.marginal.calibration_images} scans after the temperature (marginal: "
            f"{fitted.marginal.thresholds[0]:.4f}; class-conditional: "
            + ", ".join(
                f"{n} {t:.4f}"
                for n, t in zip(CLASS_NAMES, fitted.class_conditional.thresholds, strict=True)
            )
            + "). The validation split also chose the epoch, so its own coverage flatters.",
            "",
            "| subset | ECE | ECE at T | NLL | NLL at T | Brier | Brier at T | marginal set: "
            "holds truth / size | class-conditional: holds truth / size | errors whose set "
            "has 2+ classes |",
            "| --- |" + " ---: |" * 9,
        ]
        for s in self.subsets:
            if not s.uncertainty:
                continue
            raw, cal = s.uncertainty["raw"], s.uncertainty["calibrated"]
            marginal = s.uncertainty["sets_marginal"]
            conditional = s.uncertainty["sets_class_conditional"]
            lines.append(
                f"| {s.name} | {raw['ece']:.4f} | {cal['ece']:.4f} | {raw['nll']:.4f} | "
                f"{cal['nll']:.4f} | {raw['brier']:.4f} | {cal['brier']:.4f} | "
                f"{_percent(marginal['coverage'])} / {marginal['mean_size']:.2f} | "
                f"{_percent(conditional['coverage'])} / {conditional['mean_size']:.2f} | "
                f"{conditional['errors_with_several_classes']} of {conditional['errors']} |"
            )
        lines += [
            "",
            "Class-conditional coverage per class (share of each class's scans whose set holds "
            "it):",
            "",
            "| subset | " + " | ".join(CLASS_NAMES) + " |",
            "| --- |" + " ---: |" * len(CLASS_NAMES),
        ]
        for s in self.subsets:
            if s.uncertainty:
                per = s.uncertainty["sets_class_conditional"]["coverage_per_class"]
                lines.append(
                    f"| {s.name} | " + " | ".join(_percent(per[n]) for n in CLASS_NAMES) + " |"
                )
        return lines


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
    val = predictions["val"]
    uncertainty = fit_uncertainty(val.probabilities, val.labels) if val.records else None
    subsets = tuple(
        score_subset(found, subset, uncertainty=uncertainty)
        for subset, found in predictions.items()
        if found.records
    )
    confident = confident_predictions(test.probabilities, test.labels, 0.99)
    return EvaluationReport(name, source, subsets, confident, uncertainty), predictions


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
