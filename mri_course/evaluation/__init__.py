"""Evaluating a model the way a careful reviewer would (lesson 05).

* :mod:`.metrics`: confusion matrix, per-class recall and precision, scikit-learn's report;
* :mod:`.calibration`: reliability bins, expected calibration error, "99% sure" in practice;
* :mod:`.bootstrap`: confidence intervals for an accuracy;
* :mod:`.predict`: a model's probabilities on a set of scans;
* :mod:`.report`: every subset side by side (``mri-course evaluate`` prints it);
* :mod:`.figures`: the lesson's plots.
"""

from mri_course.evaluation.bootstrap import bootstrap_interval
from mri_course.evaluation.calibration import confident_predictions, expected_calibration_error
from mri_course.evaluation.metrics import (
    classification_report,
    confusion_matrix,
    per_class_precision,
    per_class_recall,
)
from mri_course.evaluation.predict import Predictions, predict
from mri_course.evaluation.report import EvaluationReport, evaluate_model

__all__ = [
    "EvaluationReport",
    "Predictions",
    "bootstrap_interval",
    "classification_report",
    "confident_predictions",
    "confusion_matrix",
    "evaluate_model",
    "expected_calibration_error",
    "per_class_precision",
    "per_class_recall",
    "predict",
]
