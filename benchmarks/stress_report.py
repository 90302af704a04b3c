"""Stress tests of a model on the real test scans: accuracy and changed answers per change.

    python benchmarks/stress_report.py [--model mri_course/shipped/compact_cnn.keras]
                                       [--out benchmarks/results/stress_report] [--limit N]

Needs the real dataset (``MRI_COURSE_DATA``). Runs :func:`mri_course.audit.stress.run_stress`
with the default perturbations (border crop and zoom, rotation, flips, brightness and
contrast, JPEG quality, noise, resolution, resampling method) over the official test set,
once, and reports the clean test (the test scans with no copy in ``Training/``, the
course's honest figure) and the official test from the same predictions. The JSON keeps
every test image's answer and the perturbations that changed it, which is what the app's
fragility warning reads. Writes ``<out>.md`` and ``<out>.json`` and prints the Markdown.
Takes about 6 minutes on 2 CPU cores (the report records its own time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from mri_course import load_settings
from mri_course.audit.stress import TARGET_KEYS, TARGET_POINTS, StressResult, run_stress
from mri_course.config import shown_path
from mri_course.data.locate import locate_dataset
from mri_course.data.release import CLASS_NAMES
from mri_course.data.survey import survey_dataset
from mri_course.io import atomic_write_text, sha256_of_file
from mri_course.models.shipped import SHIPPED_CNN


def measure(model_path: Path, limit: int | None = None) -> tuple[dict, StressResult, StressResult]:
    import keras

    settings = load_settings().with_profile("cpu")
    if settings.data_dir is None:
        raise SystemExit("set MRI_COURSE_DATA to the Kaggle dataset folder: this tests real scans")
    root = locate_dataset(settings=settings)
    survey = survey_dataset(root, settings.cache_dir, progress=False)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    model = keras.models.load_model(model_path, compile=False)
    started = time.perf_counter()
    records = splits.test[::-1][:limit][::-1] if limit else splits.test  # a smoke run: the tail
    test = run_stress(model, records)
    seconds = time.perf_counter() - started
    tested = {r.relpath for r in records}
    clean_records = [r for r in splits.clean_test if r.relpath in tested]
    clean = test.subset(clean_records)
    clean_paths = {r.relpath for r in clean_records}
    images = [
        {**entry, "clean_test": entry["relpath"] in clean_paths} for entry in test.per_image()
    ]
    report = {
        "command": "python benchmarks/stress_report.py",
        "model": shown_path(model_path),
        "model_sha256": sha256_of_file(model_path),
        "image_size": int(model.input_shape[1]),
        "split": {"val_fraction": settings.profile.val_fraction, "seed": settings.seed},
        "machine": {
            "cpu_cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "seconds": round(seconds, 1),
        "targets": {"keys": list(TARGET_KEYS), "max_points_lost": TARGET_POINTS},
        "subsets": {"clean_test": clean.summary(), "test": test.summary()},
        "images": images,
    }
    return report, clean, test


def _points(change: float) -> str:
    return f"{100 * change:+.1f}"


def to_markdown(report: dict, clean: StressResult, test: StressResult) -> str:
    machine = report["machine"]
    lines = [
        "# Stress tests: the test scans, cropped, turned, re-windowed, compressed, resampled",
        "",
        f"Model `{report['model']}` ({report['image_size']} px). Every perturbation is applied "
        "to the decoded scan before the pipeline fits it to the model (`prepare_pixels`). "
        f"{len(test.records)} official test scans, of which {len(clean.records)} are the clean "
        f"test (no copy in `Training/`). {report['seconds'] / 60:.1f} minutes on "
        f"{machine['cpu_cores']} CPU cores ({machine['platform']}). Produced by "
        "`python benchmarks/stress_report.py`; per-image answers in `stress_report.json`.",
        "",
        f"Unperturbed accuracy: clean test **{100 * clean.accuracy:.2f}%**, official test "
        f"**{100 * test.accuracy:.2f}%**.",
        "",
        "Change in accuracy in percentage points; *changed* = share of scans whose predicted "
        "class differs from the unperturbed one; *broken / fixed* = right before and wrong "
        "after / the reverse.",
        "",
        "| perturbation | setting | clean acc. | change | changed | broken / fixed "
        "| test acc. | change | changed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c, t in zip(clean.outcomes, test.outcomes, strict=True):
        mark = "**" if c.key in TARGET_KEYS else ""
        lines.append(
            f"| {mark}{c.family}{mark} | {mark}{c.setting}{mark} | {100 * c.accuracy:.2f}% | "
            f"{mark}{_points(c.accuracy_change)}{mark} | {100 * c.changed_share:.1f}% | "
            f"{c.broken} / {c.fixed} | {100 * t.accuracy:.2f}% | "
            f"{_points(t.accuracy_change)} | {100 * t.changed_share:.1f}% |"
        )
    lines += [
        "",
        f"Target: each of these costs at most {TARGET_POINTS:.0f} points on the clean test:",
        "",
    ]
    for key in TARGET_KEYS:
        outcome = clean.outcome(key)
        lost = -100 * outcome.accuracy_change
        verdict = "met" if lost <= TARGET_POINTS else "**not met**"
        lines.append(f"* {outcome.label}: {_points(outcome.accuracy_change)} points, {verdict}")

    changed = clean.changed()
    counts = changed.sum(axis=0)
    lines += [
        "",
        f"Clean-test scans whose answer changes under at least one perturbation: "
        f"{int((counts > 0).sum())} of {len(clean.records)}; under a target perturbation: "
        f"{int(clean.fragile(TARGET_KEYS).sum())}.",
        "",
        "The clean-test scans changed by the most perturbations:",
        "",
        "| scan | class | predicted | changed by |",
        "|---|---|---|---:|",
    ]
    for index in np.argsort(-counts, kind="stable")[:10]:
        if counts[index] == 0:
            break
        record = clean.records[index]
        predicted = CLASS_NAMES[int(clean.predicted[index])]
        lines.append(
            f"| `{record.relpath}` | {record.label} | {predicted} | "
            f"{int(counts[index])} of {len(clean.outcomes)} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=SHIPPED_CNN)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/stress_report"))
    parser.add_argument("--limit", type=int, help="only the last N test scans (a smoke run)")
    args = parser.parse_args()
    report, clean, test = measure(args.model, args.limit)
    markdown = to_markdown(report, clean, test)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=1) + "\n")
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    print(markdown)


if __name__ == "__main__":
    main()
