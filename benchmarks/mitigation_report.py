"""Before and after the mitigations: the shipped CNN v1 against the one that replaced it.

    git show 41ce253:mri_course/shipped/compact_cnn.keras > /tmp/cnn_v1.keras
    python benchmarks/mitigation_report.py --before /tmp/cnn_v1.keras
                                           [--after mri_course/shipped/compact_cnn.keras]
                                           [--out benchmarks/results/mitigation_report]

Needs the real dataset (``MRI_COURSE_DATA``). Two parts, kept apart on purpose:

1. **The choice, on validation.** Both models on the course's validation split (never the
   test sets): plain accuracy, and accuracy under the stress tests that the course sets a
   target for plus a few more (:mod:`mri_course.audit.stress`), per slice plane too. The new
   model ships only if it is more robust here without losing accuracy.
2. **Before and after, on everything else.** Read from the committed reports of each
   model, each scored once: ``benchmarks/results/shipped_cnn_v1/`` (v1, kept as they
   were) and ``benchmarks/results/`` (the shipped model, rerun after shipping it):
   official and clean test, the stress table, MNI152 per plane, cautions, accuracy per
   plane.

Writes ``<out>.md`` and ``<out>.json`` and prints the Markdown. About 3 minutes on 2 CPU
cores.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np

from mri_course import load_settings
from mri_course.audit.planes import PLANES, plane_labels
from mri_course.audit.stress import TARGET_KEYS, default_perturbations, run_stress
from mri_course.data.locate import locate_dataset
from mri_course.data.survey import survey_dataset
from mri_course.io import atomic_write_text, sha256_of_file
from mri_course.models.shipped import SHIPPED_CNN

RESULTS = Path("benchmarks/results")
BEFORE_RESULTS = RESULTS / "shipped_cnn_v1"
VALIDATION_KEYS = (*TARGET_KEYS, "zoom_out_10", "rotation_20", "brightness_x1.3", "contrast_x0.6")
"""The perturbations scored on validation: the two with a target, and four the v1 model
lost more than 4 points to on the clean test (``stress_report.md`` of v1)."""


def validation_scores(model_path: Path, records, planes: dict[str, str]) -> dict:
    """Accuracy of one model on the validation records, plain and perturbed, per plane."""
    import keras

    model = keras.models.load_model(model_path, compile=False)
    chosen = [
        p for p in default_perturbations(int(model.input_shape[1])) if p.key in VALIDATION_KEYS
    ]
    result = run_stress(model, records, chosen)
    labels = np.array([r.label_index for r in records])
    plane_of = np.array([planes[r.relpath] for r in records])
    scores = {"accuracy": float(np.mean(result.predicted[0] == labels))}
    for row, perturbation in enumerate(chosen, start=1):
        scores[perturbation.key] = float(np.mean(result.predicted[row] == labels))
    scores["per_plane"] = {
        plane: {
            "images": int(np.sum(plane_of == plane)),
            "accuracy": float(
                np.mean(result.predicted[0][plane_of == plane] == labels[plane_of == plane])
            ),
        }
        for plane in PLANES
        if np.any(plane_of == plane)
    }
    return scores


def _planes_of(records) -> dict[str, str]:
    import hashlib

    labels = plane_labels()
    return {r.relpath: labels[hashlib.sha256(r.path.read_bytes()).hexdigest()][0] for r in records}


def report_figures(folder: Path) -> dict:
    """The headline figures of one model's committed reports in ``folder``."""
    evaluation = json.loads((folder / "shipped_cnn.evaluation.json").read_text())
    stress = json.loads((folder / "stress_report.json").read_text())
    mni = json.loads((folder / "mni152_report.json").read_text())
    caution = json.loads((folder / "caution_report.json").read_text())
    confounds = json.loads((folder / "confounds_report.json").read_text())
    clean = stress["subsets"]["clean_test"]
    per_plane = confounds["shipped_cnn: accuracy per plane, clean test"]
    return {
        "official_test": evaluation["subsets"]["test"]["accuracy"],
        "clean_test": evaluation["subsets"]["clean_test"]["accuracy"],
        "stress_clean_change": {p["key"]: p["accuracy_change"] for p in clean["perturbations"]},
        "stress_labels": {
            p["key"]: f"{p['family']} {p['setting']}" for p in clean["perturbations"]
        },
        "mni152_notumor": {
            window: {plane: entry["share_notumor"] for plane, entry in data["planes"].items()}
            for window, data in mni["models"]["shipped_cnn"]["windows"].items()
        },
        "mni152_confident_wrong": {
            window: data["confident_wrong_share"]
            for window, data in mni["models"]["shipped_cnn"]["windows"].items()
        },
        "caution_without": caution["share_without_caution"],
        "caution_confident_wrong": caution["totals"]["confident_wrong"],
        "clean_test_cautioned_right": caution["clean_test"]["right"]["cautioned"],
        "clean_test_right": caution["clean_test"]["right"]["scans"],
        "clean_accuracy_per_plane": {
            plane: sum(per_plane["right"][k]) / sum(per_plane["counts"][k])
            for k, plane in enumerate(per_plane["groups"])
        },
        "card": evaluation.get("model"),
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _points(x: float) -> str:
    return f"{100 * x:+.1f}"


def to_markdown(report: dict) -> str:
    before, after = report["before"], report["after"]
    lines = [
        "# Mitigations, measured: the shipped CNN before and after",
        "",
        f"Produced by `{report['command']}` on {report['machine']}. Before: the shipped CNN v1 "
        f"(`{report['before_model']}`, sha256 `{report['before_sha256'][:12]}`); after: "
        f"`{report['after_model']}` (sha256 `{report['after_sha256'][:12]}`), trained by "
        f"`{report['after_command']}`.",
        "",
        "## 1. The choice, on validation",
        "",
        f"{report['validation_images']} validation scans (the course split of `Training/`). "
        "Accuracy, plain and under each perturbation; the test sets play no part here.",
        "",
        "| | before | after |",
        "|---|---:|---:|",
    ]
    vb, va = report["validation"]["before"], report["validation"]["after"]
    lines.append(f"| plain | {_pct(vb['accuracy'])} | {_pct(va['accuracy'])} |")
    for key in VALIDATION_KEYS:
        lines.append(
            f"| {before['stress_labels'].get(key, key)} | {_pct(vb[key])} | {_pct(va[key])} |"
        )
    for plane in PLANES:
        if plane in vb["per_plane"]:
            n = vb["per_plane"][plane]["images"]
            lines.append(
                f"| {plane} scans only ({n}) | {_pct(vb['per_plane'][plane]['accuracy'])} "
                f"| {_pct(va['per_plane'][plane]['accuracy'])} |"
            )
    lines += [
        "",
        "## 2. Before and after, each test scored once per model",
        "",
        "| | before | after | target |",
        "|---|---:|---:|---|",
        f"| official test | {_pct(before['official_test'])} | "
        f"{_pct(after['official_test'])} | ≥ 98.0% |",
        f"| clean test | {_pct(before['clean_test'])} | {_pct(after['clean_test'])} | ≥ 97.5% |",
    ]
    for key in TARGET_KEYS:
        lines.append(
            f"| clean test, {before['stress_labels'][key]} (points) | "
            f"{_points(before['stress_clean_change'][key])} | "
            f"{_points(after['stress_clean_change'][key])} | ≥ -2.0 |"
        )
    for window in before["mni152_notumor"]:
        for plane in PLANES:
            target = "≥ 95%" if (window, plane) == ("full", "axial") else "reported"
            lines.append(
                f"| MNI152 {window} window, {plane}: called notumor | "
                f"{_pct(before['mni152_notumor'][window][plane])} | "
                f"{_pct(after['mni152_notumor'][window][plane])} | {target} |"
            )
    lines += [
        "| MNI152: confidently wrong (all windows and planes) | "
        f"{before['caution_confident_wrong']} of 216 | "
        f"{after['caution_confident_wrong']} of 216 | |",
        f"| MNI152: confidently wrong with no caution | {_pct(before['caution_without'])} | "
        f"{_pct(after['caution_without'])} | ≤ 10% |",
        f"| clean test: right answers with a caution | {before['clean_test_cautioned_right']} of "
        f"{before['clean_test_right']} | {after['clean_test_cautioned_right']} of "
        f"{after['clean_test_right']} | |",
    ]
    for plane in PLANES:
        lines.append(
            f"| clean test, {plane} scans | {_pct(before['clean_accuracy_per_plane'][plane])} | "
            f"{_pct(after['clean_accuracy_per_plane'][plane])} | |"
        )
    lines += ["", "Every perturbation of the stress test, change on the clean test (points):", ""]
    lines += ["| perturbation | before | after |", "|---|---:|---:|"]
    for key, label in before["stress_labels"].items():
        lines.append(
            f"| {label} | {_points(before['stress_clean_change'][key])} | "
            f"{_points(after['stress_clean_change'].get(key, float('nan')))} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the v1 model's .keras file")
    parser.add_argument("--after", type=Path, default=SHIPPED_CNN)
    parser.add_argument("--out", type=Path, default=RESULTS / "mitigation_report")
    args = parser.parse_args()
    settings = load_settings().with_profile("cpu")
    if settings.data_dir is None:
        raise SystemExit("set MRI_COURSE_DATA to the Kaggle dataset folder: this scores real scans")
    survey = survey_dataset(locate_dataset(settings=settings), settings.cache_dir, progress=False)
    val = survey.splits(settings.profile.val_fraction, settings.seed).val
    planes = _planes_of(val)
    card = json.loads(args.after.with_suffix(".card.json").read_text())
    report = {
        "command": "python benchmarks/mitigation_report.py --before /tmp/cnn_v1.keras",
        "machine": platform.platform(),
        "before_model": "shipped CNN v1 (commit 41ce253)",
        "before_sha256": sha256_of_file(args.before),
        "after_model": str(args.after),
        "after_sha256": sha256_of_file(args.after),
        "after_command": card["training"].get("command"),
        "validation_images": len(val),
        "validation": {
            "before": validation_scores(args.before, val, planes),
            "after": validation_scores(args.after, val, planes),
        },
        "before": report_figures(BEFORE_RESULTS),
        "after": report_figures(RESULTS),
    }
    markdown = to_markdown(report)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=2) + "\n")
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    print(markdown)


if __name__ == "__main__":
    main()
