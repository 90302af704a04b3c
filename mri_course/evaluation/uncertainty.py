"""A model's calibrated uncertainty: its temperature and its 95% prediction sets, together.

What a model card records and the app applies: the temperature (:mod:`.temperature`)
fitted on the validation split, and conformal thresholds (:mod:`.conformal`) calibrated
on the same split's temperature-scaled probabilities, marginal and class-conditional.

The validation split serves twice (the temperature, then the thresholds) and it also chose
the training epoch, so it is not perfectly exchangeable with new scans: coverage measured
on the test sets, not assumed, says whether that mattered
(``benchmarks/results/shipped_cnn.evaluation.md``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mri_course.evaluation.conformal import ConformalPredictor, fit_conformal
from mri_course.evaluation.temperature import fit_temperature, scale_probabilities

ALPHA = 0.05
"""The error rate the sets allow: a 95% prediction set."""


@dataclass(frozen=True)
class Uncertainty:
    """The temperature and the conformal predictors of one model (LAC scores)."""

    temperature: float
    marginal: ConformalPredictor
    class_conditional: ConformalPredictor

    def calibrated(self, probabilities: np.ndarray) -> np.ndarray:
        """The probabilities with the model's temperature applied."""
        return scale_probabilities(probabilities, self.temperature)

    def sets(self, probabilities: np.ndarray, class_conditional: bool = True) -> np.ndarray:
        """Boolean ``(examples, classes)`` 95% prediction sets for raw model probabilities.

        Class-conditional by default: it holds the coverage for each class, which is what a
        patient with a rare tumour needs, not only on average.
        """
        predictor = self.class_conditional if class_conditional else self.marginal
        return predictor.sets(self.calibrated(probabilities))

    def to_dict(self) -> dict:
        return {
            "temperature": self.temperature,
            "fitted_on": "validation split",
            "conformal": {
                "marginal": self.marginal.to_dict(),
                "class_conditional": self.class_conditional.to_dict(),
            },
        }

    @classmethod
    def from_card(cls, card: dict | None) -> Uncertainty | None:
        """What a model card records (``mri-course calibrate``), or None for a card without
        it, or no card: the app then shows neither the calibrated confidence nor the set."""
        return cls.from_dict(card["uncertainty"]) if card and "uncertainty" in card else None

    @classmethod
    def from_dict(cls, found: dict) -> Uncertainty:
        """The inverse of :meth:`to_dict` (a model card's ``uncertainty`` entry)."""

        def predictor(entry: dict) -> ConformalPredictor:
            thresholds = tuple(np.inf if t is None else float(t) for t in entry["thresholds"])
            return ConformalPredictor(
                entry["method"],
                float(entry["alpha"]),
                thresholds,
                bool(entry["class_conditional"]),
                int(entry["calibration_images"]),
            )

        conformal = found["conformal"]
        return cls(
            float(found["temperature"]),
            predictor(conformal["marginal"]),
            predictor(conformal["class_conditional"]),
        )


def set_in_words(classes: Sequence[str]) -> str:
    """A prediction set as a reader says it: ``"glioma or meningioma"``.

    An empty set (every class, the top one too, scores above its threshold: the model's
    answer is less typical than 95 in 100 of the calibration scans) is said as such rather
    than hidden; for a model right more often than 95 times in 100 it is how a 95% set spends
    its 5% (``benchmarks/results/calibration_report.md``).
    """
    names = list(classes)
    if not names:
        return (
            "empty: no class, not even the top one, is as typical as 95 in 100 of the "
            "calibration scans"
        )
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} or {names[-1]}"


def guarantee(alpha: float = ALPHA) -> str:
    """What a conformal set promises, and what it assumes, in one sentence."""
    return (
        f"For scans drawn like the course's test scans, a set made this way holds the true "
        f"class {100 * (1 - alpha):.0f} times in 100; a scan unlike them (another scanner, "
        "framing or slice plane) has no such guarantee."
    )


def fit_uncertainty(
    probabilities: np.ndarray, labels: np.ndarray, alpha: float = ALPHA
) -> Uncertainty:
    """Temperature, then LAC thresholds on the scaled probabilities, from held-out scans."""
    temperature = fit_temperature(probabilities, labels)
    scaled = scale_probabilities(probabilities, temperature)
    return Uncertainty(
        temperature,
        fit_conformal(scaled, labels, alpha, "lac"),
        fit_conformal(scaled, labels, alpha, "lac", class_conditional=True),
    )


def record_uncertainty(model, model_path: Path, val_records: Sequence) -> Uncertainty:
    """Fit the uncertainty of the model saved at ``model_path`` on its validation scans and
    write it into its model card (the ``uncertainty`` entry), atomically.

    ``mri-course train`` does this after every run and ``mri-course calibrate MODEL`` for a
    model trained before; the app reads the entry to show calibrated probabilities and sets.
    """
    from mri_course.evaluation.predict import predict
    from mri_course.io import atomic_write_text
    from mri_course.training.save import card_path

    found = predict(model, val_records)
    uncertainty = fit_uncertainty(found.probabilities, found.labels)
    card_file = card_path(Path(model_path))
    card = json.loads(card_file.read_text())
    card["uncertainty"] = uncertainty.to_dict()
    atomic_write_text(card_file, json.dumps(card, indent=2))
    return uncertainty
