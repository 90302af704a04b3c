"""Calibrated uncertainty of the shipped CNN: temperature, 95% sets, and where they fail.

    python benchmarks/calibration_report.py [--model mri_course/shipped/compact_cnn.keras]
                                            [--out benchmarks/results/calibration_report]

Needs the real dataset (``MRI_COURSE_DATA``). The temperature and the conformal thresholds
are fitted on the validation split (:func:`mri_course.evaluation.uncertainty.fit_uncertainty`,
the same fit ``mri-course calibrate`` records in the model card), then scored once on:

* the official and the clean test set: ECE (with a 95% bootstrap interval), NLL and Brier
  before and after the temperature; coverage and mean set size, overall and per class, of
  LAC and APS sets, marginal and class-conditional; the errors whose set holds 2+ classes;
* shifted scans, where the guarantee does not hold: the clean test under the stress tests
  with a target and three more (:mod:`mri_course.audit.stress`), and the MNI152 slices
  (truth ``notumor``, :mod:`mri_course.audit.mni152`), to show by how much it fails;
* selective prediction: the accuracy when the model answers only its most confident 90%,
  95% and 99% of the clean test, and the share of errors a 2+-class set flags;
* agreement with MAPIE (``SplitConformalClassifier``, LAC) on the same probabilities.

Writes ``<out>.md`` and ``<out>.json`` and prints the Markdown. About 4 minutes on 2 CPU
cores.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss

from mri_course import load_settings
from mri_course.audit.mni152 import WINDOWS, score_planes
from mri_course.audit.stress import default_perturbations
from mri_course.data.decode import load_rgb
from mri_course.data.locate import locate_dataset
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.release import CLASS_NAMES
from mri_course.data.survey import survey_dataset
from mri_course.evaluation import bootstrap_interval, expected_calibration_error, predict
from mri_course.evaluation.conformal import accuracy_coverage, coverage_by_class, fit_conformal
from mri_course.evaluation.uncertainty import fit_uncertainty
from mri_course.io import atomic_write_text, sha256_of_file
from mri_course.models.shipped import SHIPPED_CNN
from mri_course.testing.given_probabilities import GivenProbabilities

SHIFTS = ("border_crop_15", "rotation_10", "zoom_out_10", "brightness_x1.3", "contrast_x0.6")
CLASSES = list(range(len(CLASS_NAMES)))


def _normalised(probabilities: np.ndarray) -> np.ndarray:
    values = np.asarray(probabilities, dtype=np.float64)
    return values / values.sum(axis=1, keepdims=True)


def _ece_interval(probabilities: np.ndarray, labels: np.ndarray) -> list[float]:
    """A 95% percentile bootstrap interval of the ECE: the scans' row numbers resampled."""
    rows = np.arange(len(labels))

    def ece(picked: np.ndarray) -> float:
        picked = picked.astype(int)
        return expected_calibration_error(probabilities[picked], labels[picked])

    return list(bootstrap_interval(rows, ece, resamples=1000))


def calibration_figures(raw: np.ndarray, scaled: np.ndarray, labels: np.ndarray) -> dict:
    found = {}
    for kind, probabilities in (("raw", raw), ("calibrated", scaled)):
        found[kind] = {
            "ece": expected_calibration_error(probabilities, labels),
            "ece_95ci": _ece_interval(probabilities, labels),
            "nll": float(log_loss(labels, probabilities, labels=CLASSES)),
            "brier": float(brier_score_loss(labels, probabilities, labels=CLASSES)),
        }
    return found


def set_figures(sets: np.ndarray, labels: np.ndarray, right: np.ndarray) -> dict:
    sizes = sets.sum(axis=1)
    per_class = coverage_by_class(sets, labels, len(CLASS_NAMES))
    return {
        "coverage": float(sets[np.arange(len(labels)), labels].mean()),
        "mean_size": float(sizes.mean()),
        "size_counts": {str(k): int(np.sum(sizes == k)) for k in range(len(CLASS_NAMES) + 1)},
        "coverage_per_class": {
            n: None if np.isnan(c) else float(c)
            for n, c in zip(CLASS_NAMES, per_class, strict=True)
        },
        "errors": int((~right).sum()),
        "errors_with_several_classes": int((sizes[~right] > 1).sum()),
        # an error whose set is not just the predicted class: empty, or 2+ classes
        "errors_flagged": int((sizes[~right] != 1).sum()),
    }


def predictors(val_scaled: np.ndarray, val_labels: np.ndarray) -> dict:
    """LAC and APS, marginal and class-conditional, at 95%; and LAC at 99% for contrast (a
    model right 98% of the time needs a level above its accuracy before a set grows)."""
    found = {
        f"{method} 95%, {'class-conditional' if conditional else 'marginal'}": fit_conformal(
            val_scaled, val_labels, 0.05, method, conditional
        )
        for method in ("lac", "aps")
        for conditional in (False, True)
    }
    for conditional in (False, True):
        name = f"lac 99%, {'class-conditional' if conditional else 'marginal'}"
        found[name] = fit_conformal(val_scaled, val_labels, 0.01, "lac", conditional)
    return found


def _probabilities_of(model, images: list[np.ndarray]) -> np.ndarray:
    size = int(model.input_shape[1])
    return _normalised(
        model.predict(np.stack([prepare_pixels(i, size) for i in images]), verbose=0)
    )


def shifted(model, records, uncertainty, fitted: dict) -> dict:
    """Coverage and set size on the clean test under each shift (probabilities recomputed)."""
    chosen = [p for p in default_perturbations(int(model.input_shape[1])) if p.key in SHIFTS]
    labels = np.array([r.label_index for r in records])
    probabilities = {p.key: [] for p in chosen}
    for start in range(0, len(records), 64):
        images = [load_rgb(r.path) for r in records[start : start + 64]]
        for perturbation in chosen:
            changed = [perturbation.apply(image) for image in images]
            probabilities[perturbation.key].append(_probabilities_of(model, changed))
    found = {}
    for perturbation in chosen:
        raw = np.concatenate(probabilities[perturbation.key])
        scaled = uncertainty.calibrated(raw)
        right = raw.argmax(axis=1) == labels
        found[perturbation.label] = {
            "accuracy": float(right.mean()),
            "ece_calibrated": expected_calibration_error(scaled, labels),
            **{
                name: set_figures(predictor.sets(scaled), labels, right)
                for name, predictor in fitted.items()
                if name.startswith("lac 95%")
            },
        }
    return found


def mni152(model, uncertainty, fitted: dict) -> dict:
    found = {}
    truth = CLASS_NAMES.index("notumor")
    for window_name, window in WINDOWS.items():
        scores = score_planes(model, count=24, window=window)
        raw = _normalised(np.concatenate([np.array(s.probabilities) for s in scores.values()]))
        scaled = uncertainty.calibrated(raw)
        labels = np.full(len(raw), truth)
        right = raw.argmax(axis=1) == truth
        found[window_name] = {
            "slices": len(raw),
            "called_notumor": float(right.mean()),
            **{
                name: set_figures(predictor.sets(scaled), labels, right)
                for name, predictor in fitted.items()
                if name.startswith("lac 95%")
            },
        }
    return found


def selective(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    coverage, accuracy, threshold = accuracy_coverage(probabilities, labels)
    found = {}
    for share in (0.9, 0.95, 0.99, 1.0):
        k = int(np.searchsorted(coverage, share - 1e-9))
        found[f"{share:.0%}"] = {
            "accuracy": float(accuracy[k]),
            "confidence_at_least": float(threshold[k]),
        }
    return found


def mapie_agreement(val_scaled, val_labels, test_scaled, ours) -> dict:
    from mapie.classification import SplitConformalClassifier

    estimator = GivenProbabilities().fit(val_scaled, val_labels)
    mapie = SplitConformalClassifier(estimator, confidence_level=0.95, prefit=True)
    mapie.conformalize(val_scaled, val_labels)
    _, theirs = mapie.predict_set(test_scaled)
    same = ours.sets(test_scaled) == theirs[:, :, 0]
    return {"scans": len(test_scaled), "identical_sets": int(same.all(axis=1).sum())}


def measure(model_path: Path) -> dict:
    import keras

    settings = load_settings().with_profile("cpu")
    if settings.data_dir is None:
        raise SystemExit("set MRI_COURSE_DATA to the Kaggle dataset folder: this scores real scans")
    survey = survey_dataset(locate_dataset(settings=settings), settings.cache_dir, progress=False)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    model = keras.models.load_model(model_path, compile=False)
    val = predict(model, splits.val)
    uncertainty = fit_uncertainty(_normalised(val.probabilities), val.labels)
    val_scaled = uncertainty.calibrated(val.probabilities)
    fitted = predictors(val_scaled, val.labels)
    test = predict(model, splits.test)
    report = {
        "model": str(model_path),
        "model_sha256": sha256_of_file(model_path),
        "machine": platform.platform(),
        "temperature": uncertainty.temperature,
        "thresholds": {
            name: [None if np.isinf(t) else t for t in p.thresholds] for name, p in fitted.items()
        },
        "subsets": {},
    }
    for name, found in (("test", test), ("clean_test", test.subset(splits.clean_test))):
        raw = _normalised(found.probabilities)
        scaled = uncertainty.calibrated(raw)
        right = raw.argmax(axis=1) == found.labels
        report["subsets"][name] = {
            "images": len(found.labels),
            "accuracy": float(right.mean()),
            **calibration_figures(raw, scaled, found.labels),
            "sets": {
                p: set_figures(predictor.sets(scaled), found.labels, right)
                for p, predictor in fitted.items()
            },
            "selective": selective(scaled, found.labels),
        }
        if name == "clean_test":
            report["mapie"] = mapie_agreement(
                val_scaled, val.labels, scaled, fitted["lac 95%, marginal"]
            )
    report["shifted_clean_test"] = shifted(model, splits.clean_test, uncertainty, fitted)
    report["mni152"] = mni152(model, uncertainty, fitted)
    return report


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def to_markdown(report: dict) -> str:
    lines = [
        "# Calibrated uncertainty of the shipped CNN",
        "",
        f"Produced by `python benchmarks/calibration_report.py` on {report['machine']}. Model "
        f"`{report['model']}` (sha256 `{report['model_sha256'][:12]}`). Temperature "
        f"**{report['temperature']:.3f}** and 95% conformal thresholds fitted on the "
        "validation split; every test figure below scored once.",
        "",
        "## Calibration",
        "",
        "| subset | accuracy | ECE (95% CI) | ECE at T (95% CI) | NLL | NLL at T | Brier | "
        "Brier at T |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in report["subsets"].items():
        raw, cal = s["raw"], s["calibrated"]
        lines.append(
            f"| {name} ({s['images']}) | {_pct(s['accuracy'])} | {raw['ece']:.4f} "
            f"[{raw['ece_95ci'][0]:.4f}, {raw['ece_95ci'][1]:.4f}] | {cal['ece']:.4f} "
            f"[{cal['ece_95ci'][0]:.4f}, {cal['ece_95ci'][1]:.4f}] | {raw['nll']:.4f} | "
            f"{cal['nll']:.4f} | {raw['brier']:.4f} | {cal['brier']:.4f} |"
        )
    lines += [
        "",
        "## 95% prediction sets",
        "",
        "A set can be empty: every class, the top one too, scores above the threshold (less "
        "typical than 95 in 100 calibration scans). Size counts: "
        + "; ".join(
            f"{kind} on clean_test {f['size_counts']}"
            for kind, f in report["subsets"]["clean_test"]["sets"].items()
            if kind.startswith("lac")
        )
        + ".",
        "",
        "| subset | sets | holds the truth | mean size | "
        + " | ".join(CLASS_NAMES)
        + " | errors with a 2+ class set | errors flagged (set empty or 2+) |",
        "|---|---|---:|---:|" + "---:|" * len(CLASS_NAMES) + "---:|---:|",
    ]
    for name, s in report["subsets"].items():
        for kind, f in s["sets"].items():
            per = f["coverage_per_class"]
            lines.append(
                f"| {name} | {kind} | {_pct(f['coverage'])} | {f['mean_size']:.3f} | "
                + " | ".join(_pct(per[c]) for c in CLASS_NAMES)
                + f" | {f['errors_with_several_classes']} of {f['errors']} | "
                f"{f['errors_flagged']} of {f['errors']} |"
            )
    mapie = report["mapie"]
    lines += [
        "",
        f"MAPIE's `SplitConformalClassifier` (LAC, marginal, 95%) on the same probabilities: "
        f"identical sets for {mapie['identical_sets']} of {mapie['scans']} clean-test scans.",
        "",
        "## Where the guarantee does not hold",
        "",
        "The clean test, changed; and MNI152 slices (truth notumor). LAC sets at 95%.",
        "",
        "| data | accuracy | marginal: holds truth / size | class-conditional: holds truth / "
        "size |",
        "|---|---:|---:|---:|",
    ]
    for label, f in report["shifted_clean_test"].items():
        m, c = f["lac 95%, marginal"], f["lac 95%, class-conditional"]
        lines.append(
            f"| clean test, {label} | {_pct(f['accuracy'])} | {_pct(m['coverage'])} / "
            f"{m['mean_size']:.2f} | {_pct(c['coverage'])} / {c['mean_size']:.2f} |"
        )
    for window, f in report["mni152"].items():
        m, c = f["lac 95%, marginal"], f["lac 95%, class-conditional"]
        lines.append(
            f"| MNI152, {window} window ({f['slices']} slices) | {_pct(f['called_notumor'])} | "
            f"{_pct(m['coverage'])} / {m['mean_size']:.2f} | {_pct(c['coverage'])} / "
            f"{c['mean_size']:.2f} |"
        )
    lines += [
        "",
        "## Selective prediction (clean test, calibrated confidence)",
        "",
        "| answered | accuracy | confidence at least |",
        "|---:|---:|---:|",
    ]
    for share, f in report["subsets"]["clean_test"]["selective"].items():
        lines.append(f"| {share} | {_pct(f['accuracy'])} | {f['confidence_at_least']:.4f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=SHIPPED_CNN)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/calibration_report"))
    args = parser.parse_args()
    report = measure(args.model)
    markdown = to_markdown(report)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=2) + "\n")
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    print(markdown)


if __name__ == "__main__":
    main()
