"""The mitigations, measured: the shipped CNN against a candidate trained against shortcuts.

    mri-course train cnn --profile cpu --epochs 60 --augmentation robust --balance-planes \\
        --name cnn_robust
    python benchmarks/mitigation_report.py [--candidate models/cnn_robust.keras]
                                           [--out benchmarks/results/mitigation_report]

Needs the real dataset (``MRI_COURSE_DATA``). Both models are scored the same way:

1. **the choice, on validation**: plain accuracy, accuracy under the stress tests with a
   target and four more (:mod:`mri_course.audit.stress`), accuracy per slice plane. The
   candidate replaces the shipped model only if it is at least as accurate here and more
   robust;
2. **before and after on the rest**, each test scored once per model: official and clean
   test, the clean test under the same stress tests, and the MNI152 template's slices in
   three planes and three windows (truth ``notumor``).

Writes ``<out>.md`` and ``<out>.json`` and prints the Markdown. About 10 minutes on 2 CPU
cores.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np

from mri_course import load_settings
from mri_course.audit.mni152 import CONFIDENT, WINDOWS, score_planes
from mri_course.audit.planes import PLANES, planes_of
from mri_course.audit.stress import TARGET_KEYS, default_perturbations, predict_perturbed
from mri_course.data.decode import load_rgb
from mri_course.data.locate import locate_dataset
from mri_course.data.survey import survey_dataset
from mri_course.io import atomic_write_text, sha256_of_file
from mri_course.models.shipped import SHIPPED_CNN

KEYS = (*TARGET_KEYS, "zoom_out_10", "rotation_20", "brightness_x1.3", "contrast_x0.6")
"""The stress tests scored: the two with a target, and four the shipped CNN lost more than
4 points to on the clean test (``stress_report.md``)."""


def stressed(model, records) -> tuple[dict, np.ndarray, np.ndarray]:
    """Predictions plain (row 0) and under each of ``KEYS``, the true labels, and labels of
    the perturbations."""
    chosen = [p for p in default_perturbations(int(model.input_shape[1])) if p.key in KEYS]
    rows = []
    for start in range(0, len(records), 32):
        images = [load_rgb(r.path) for r in records[start : start + 32]]
        rows.append(predict_perturbed(model, images, chosen)[0])
    labels = np.array([r.label_index for r in records])
    return {p.key: p.label for p in chosen}, np.concatenate(rows, axis=1), labels


def scores(predicted: np.ndarray, labels: np.ndarray, keys, mask=None, planes=None) -> dict:
    """Accuracy plain and under each perturbation over ``mask``, per plane if given."""
    mask = np.ones(len(labels), dtype=bool) if mask is None else mask
    right = predicted[:, mask] == labels[mask]
    found = {"images": int(mask.sum()), "accuracy": float(right[0].mean())}
    found.update({key: float(right[row].mean()) for row, key in enumerate(keys, start=1)})
    if planes is not None:
        where = np.array(planes)[mask]
        found["per_plane"] = {
            plane: {
                "images": int(np.sum(where == plane)),
                "accuracy": float(right[0][where == plane].mean()),
            }
            for plane in PLANES
            if np.any(where == plane)
        }
    return found


def mni152(model) -> dict:
    found = {}
    for name, window in WINDOWS.items():
        scores = score_planes(model, count=24, window=window)
        found[name] = {
            plane: {"notumor": s.share_notumor, "wrong_confident": s.wrong_at(CONFIDENT)}
            for plane, s in scores.items()
        }
    return found


def measure(model_path: Path, splits, val_planes: list[str]) -> dict:
    import keras

    model = keras.models.load_model(model_path, compile=False)
    card_file = model_path.with_suffix(".card.json")
    card = json.loads(card_file.read_text()) if card_file.exists() else {}
    names, val_predicted, val_labels = stressed(model, splits.val)
    _, test_predicted, test_labels = stressed(model, splits.test)
    clean_names = {r.relpath for r in splits.clean_test}
    clean = np.array([r.relpath in clean_names for r in splits.test])
    return {
        "model": str(model_path),
        "sha256": sha256_of_file(model_path),
        "command": card.get("training", {}).get("command"),
        "training_minutes": round(card.get("training", {}).get("wall_time_seconds", 0) / 60, 1),
        "labels": names,
        "validation": scores(val_predicted, val_labels, names, planes=val_planes),
        "official_test": scores(test_predicted, test_labels, names)["accuracy"],
        "clean_test": scores(test_predicted, test_labels, names, mask=clean),
        "mni152": mni152(model),
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _points(x: float) -> str:
    return f"{100 * x:+.1f}"


def to_markdown(report: dict) -> str:
    before, after = report["shipped"], report["candidate"]
    vb, va = before["validation"], after["validation"]
    labels = before["labels"]
    lines = [
        "# Mitigations, measured: the shipped CNN and a candidate trained against shortcuts",
        "",
        f"Produced by `python benchmarks/mitigation_report.py` on {report['machine']}.",
        "",
        f"* **shipped**: `{before['model']}` (sha256 `{before['sha256'][:12]}`), trained by "
        f"`{before['command']}` in {before['training_minutes']} minutes, light augmentation "
        "(left-right flips).",
        f"* **candidate**: `{after['model']}` (sha256 `{after['sha256'][:12]}`), trained by "
        f"`{after['command']}` in {after['training_minutes']} minutes: random resized crops, "
        "tilts, contrast and gain (`make_augmentation(seed, 'robust')`), and the rare planes "
        "of each class shown up to 4 times per epoch (`plane_balancing_repeats`).",
        "",
        f"**Decision: {report['decision']}**",
        "",
        "## 1. The choice, on validation",
        "",
        f"{vb['images']} validation scans (the course split of `Training/`).",
        "",
        "| | shipped | candidate |",
        "|---|---:|---:|",
        f"| plain | {_pct(vb['accuracy'])} | {_pct(va['accuracy'])} |",
        *(f"| {labels[k]} | {_pct(vb[k])} | {_pct(va[k])} |" for k in KEYS),
        *(
            f"| {plane} scans only ({vb['per_plane'][plane]['images']}) | "
            f"{_pct(vb['per_plane'][plane]['accuracy'])} | "
            f"{_pct(va['per_plane'][plane]['accuracy'])} |"
            for plane in PLANES
        ),
        "",
        "## 2. Before and after, each test scored once per model",
        "",
        "| | shipped | candidate | target |",
        "|---|---:|---:|---|",
        f"| official test | {_pct(before['official_test'])} | {_pct(after['official_test'])} "
        "| ≥ 98.0% |",
        f"| clean test | {_pct(before['clean_test']['accuracy'])} | "
        f"{_pct(after['clean_test']['accuracy'])} | ≥ 97.5% |",
    ]
    for key in KEYS:
        target = "≥ -2.0 points" if key in TARGET_KEYS else ""
        cb, ca = before["clean_test"], after["clean_test"]
        lines.append(
            f"| clean test, {labels[key]} | {_pct(cb[key])} ({_points(cb[key] - cb['accuracy'])}) "
            f"| {_pct(ca[key])} ({_points(ca[key] - ca['accuracy'])}) | {target} |"
        )
    for window in WINDOWS:
        for plane in PLANES:
            b, a = before["mni152"][window][plane], after["mni152"][window][plane]
            target = "≥ 95%" if (window, plane) == ("full", "axial") else "reported"
            lines.append(
                f"| MNI152 {window} window, {plane}: called notumor (wrong at ≥ 90%) | "
                f"{_pct(b['notumor'])} ({b['wrong_confident']}) | {_pct(a['notumor'])} "
                f"({a['wrong_confident']}) | {target} |"
            )
    return "\n".join(lines) + "\n"


def decide(shipped: dict, candidate: dict) -> str:
    """The rule stated before the numbers: at least as accurate on validation, and more
    robust on validation under the two target perturbations."""
    vs, vc = shipped["validation"], candidate["validation"]
    accurate = vc["accuracy"] >= vs["accuracy"]
    robust = all(vc[k] - vc["accuracy"] > vs[k] - vs["accuracy"] for k in TARGET_KEYS)
    if accurate and robust:
        return "the candidate is at least as accurate on validation and more robust: ship it."
    why = [] if accurate else ["less accurate on validation"]
    why += [] if robust else ["not more robust on validation under the target perturbations"]
    return f"the shipped CNN stays: the candidate is {' and '.join(why)}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidate", type=Path, default=Path("models/cnn_robust.keras"))
    parser.add_argument("--shipped", type=Path, default=SHIPPED_CNN)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/mitigation_report"))
    args = parser.parse_args()
    settings = load_settings().with_profile("cpu")
    if settings.data_dir is None:
        raise SystemExit("set MRI_COURSE_DATA to the Kaggle dataset folder: this scores real scans")
    survey = survey_dataset(locate_dataset(settings=settings), settings.cache_dir, progress=False)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    val_planes = planes_of(splits.val)
    report = {
        "machine": platform.platform(),
        "shipped": measure(args.shipped, splits, val_planes),
        "candidate": measure(args.candidate, splits, val_planes),
    }
    report["decision"] = decide(report["shipped"], report["candidate"])
    markdown = to_markdown(report)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=2) + "\n")
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    print(markdown)


if __name__ == "__main__":
    main()
