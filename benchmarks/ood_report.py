"""Fit a model's out-of-distribution detector and measure both OOD checks.

    python benchmarks/ood_report.py [--model mri_course/shipped/compact_cnn.keras]
                                    [--per-kind 20] [--out benchmarks/results/ood_report]

Needs the real dataset (``MRI_COURSE_DATA``). It

1. fits the feature detector (class means and shared covariance of the features the
   model's last layer reads) on the course split's training scans, sets its threshold at
   the 99th percentile of the validation scans' distances, and saves it beside the model
   (``<model>.ood.npz``, which the app loads with the model);
2. generates a small set of images that are not brain MRIs (:mod:`mri_course.app.not_mri`) and
   counts, per kind, how many each check flags;
3. counts the false alarms of each check on the 1311 official test scans, per class, and
   lists the scans the image checks flag.

Writes ``<out>.md`` and ``<out>.json`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import Counter
from pathlib import Path

import numpy as np

from mri_course import load_settings
from mri_course.app.not_mri import KINDS, not_mri_images
from mri_course.app.ood import (
    BLANK_LIMIT,
    COLOUR_LIMIT,
    DARK_LEVEL,
    DARK_SHARE_MIN,
    FEATURE_QUANTILE,
    detector_path,
    fit_feature_detector,
    image_statistics,
    image_warnings,
    record_features,
)
from mri_course.config import project_root
from mri_course.data.decode import load_rgb
from mri_course.data.locate import locate_dataset
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.release import CLASS_NAMES
from mri_course.data.survey import survey_dataset
from mri_course.io import atomic_write_text, sha256_of_file
from mri_course.models.shipped import SHIPPED_CNN
from mri_course.training.save import card_path, load_card


def _shown(path: Path) -> str:
    """A path as the report shows it: relative to the checkout when inside it."""
    root = project_root()
    try:
        return str(Path(path).resolve().relative_to(root)) if root else str(path)
    except ValueError:
        return str(path)


def _short(reason: str) -> str:
    """A reason's first words, to count reasons of one kind together."""
    for key, words in (
        ("blank", "almost blank"),
        ("colour", "in colour"),
        ("dark background", "no dark background"),
        ("features", "far from every class"),
    ):
        if words in reason:
            return key
    return reason[:30]


def _split_of(model_path: Path) -> tuple[float, int]:
    """The validation share and seed the model was trained with (its card), else 0.15, 42."""
    if card_path(model_path).is_file():
        split = load_card(model_path).get("data", {}).get("split", {})
        return float(split.get("val_fraction", 0.15)), int(split.get("seed", 42))
    return 0.15, 42


def _statistics_row(found) -> dict:
    """Min, percentiles and max of each image statistic over ``found`` (ImageStatistics)."""
    row = {}
    for name in ("colour", "spread", "dark_share"):
        values = np.array([getattr(s, name) for s in found])
        row[name] = {
            "min": float(values.min()),
            "p01": float(np.percentile(values, 1)),
            "median": float(np.median(values)),
            "p99": float(np.percentile(values, 99)),
            "max": float(values.max()),
        }
    return row


def measure(model_path: Path, per_kind: int, save: bool) -> dict:
    import keras

    from mri_course.app.analysis import CompiledModel

    settings = load_settings().with_profile("cpu")
    if settings.data_dir is None:
        raise SystemExit(
            "set MRI_COURSE_DATA to the Kaggle dataset folder: this measures real scans"
        )
    root = locate_dataset(settings=settings)
    survey = survey_dataset(root, settings.cache_dir, progress=False)
    val_fraction, seed = _split_of(model_path)
    splits = survey.splits(val_fraction, seed)
    model = keras.models.load_model(model_path)
    size = int(model.input_shape[1])

    started = time.perf_counter()
    train_features = record_features(model, splits.train)
    val_features = record_features(model, splits.val)
    detector = fit_feature_detector(
        train_features,
        [r.label_index for r in splits.train],
        val_features,
        model_sha256=sha256_of_file(model_path),
    )
    fit_seconds = time.perf_counter() - started
    saved = detector.save(detector_path(model_path)) if save else None

    # Real test scans: false alarms of each check.
    test = splits.test
    test_distances = detector.distances(record_features(model, test))
    feature_flags = test_distances > detector.threshold
    image_reasons, test_statistics = [], []
    for record in test:  # one at a time: 1311 decoded scans would not fit in memory at once
        pixels = load_rgb(record.path)
        image_reasons.append(image_warnings(pixels))
        test_statistics.append(image_statistics(pixels))
    image_flags = np.array([bool(reasons) for reasons in image_reasons])
    per_class = {
        label: {
            "scans": int(sum(r.label == label for r in test)),
            "image_checks": int(
                sum(f for r, f in zip(test, image_flags, strict=True) if r.label == label)
            ),
            "feature_check": int(
                sum(f for r, f in zip(test, feature_flags, strict=True) if r.label == label)
            ),
        }
        for label in CLASS_NAMES
    }
    flagged_by_image = [
        {"scan": r.relpath, "reasons": [_short(x) for x in reasons]}
        for r, reasons in zip(test, image_reasons, strict=True)
        if reasons
    ]

    # Generated images that are not brain MRIs.
    compiled = CompiledModel(model)
    generated = not_mri_images(per_kind=per_kind, seed=0)
    kinds = {}
    for kind in KINDS:
        images = generated[kind]
        reasons = [image_warnings(image) for image in images]
        batch = np.stack([prepare_pixels(image, size) for image in images])
        _, features = compiled.predict(batch)
        distances = detector.distances(features)
        by_image = np.array([bool(r) for r in reasons])
        by_features = distances > detector.threshold
        kinds[kind] = {
            "images": len(images),
            "image_checks": int(by_image.sum()),
            "feature_check": int(by_features.sum()),
            "either": int((by_image | by_features).sum()),
            "reasons": dict(Counter(_short(x) for r in reasons for x in r)),
            "median_distance": float(np.median(distances)),
        }

    return {
        "model": _shown(model_path),
        "image_size": size,
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "limits": {
            "COLOUR_LIMIT": COLOUR_LIMIT,
            "BLANK_LIMIT": BLANK_LIMIT,
            "DARK_LEVEL": DARK_LEVEL,
            "DARK_SHARE_MIN": DARK_SHARE_MIN,
        },
        "detector": {
            "path": _shown(saved) if saved else None,
            "features": int(detector.means.shape[1]),
            "train_scans": len(splits.train),
            "val_scans": len(splits.val),
            "quantile": FEATURE_QUANTILE,
            "threshold": detector.threshold,
            "val_distance_median": float(np.median(detector.distances(val_features))),
            "fit_seconds": round(fit_seconds, 1),
        },
        "test": {
            "scans": len(test),
            "image_checks": int(image_flags.sum()),
            "feature_check": int(feature_flags.sum()),
            "either": int((image_flags | feature_flags).sum()),
            "distance_median": float(np.median(test_distances)),
            "per_class": per_class,
            "flagged_by_image_checks": flagged_by_image,
            "statistics": _statistics_row(test_statistics),
        },
        "not_mri": kinds,
        "not_mri_statistics": {
            kind: _statistics_row([image_statistics(image) for image in generated[kind]])
            for kind in KINDS
        },
    }


def _pct(count: int, total: int) -> str:
    return f"{count}/{total} ({count / total:.1%})" if total else "0/0"


def to_markdown(report: dict) -> str:
    detector, test = report["detector"], report["test"]
    limits = report["limits"]
    lines = [
        "# Out-of-distribution checks: measured",
        "",
        f"Model: `{report['model']}` ({report['image_size']} px). Produced by "
        "`python benchmarks/ood_report.py`.",
        "",
        "**Image checks** (no model): almost blank (gray-level standard deviation < "
        f"{limits['BLANK_LIMIT']}), in colour (mean channel gap > {limits['COLOUR_LIMIT']}), "
        f"no dark background (< {limits['DARK_SHARE_MIN']:.0%} of pixels darker than "
        f"{limits['DARK_LEVEL']}). **Feature check**: Mahalanobis distance of the features "
        "the last layer reads to the nearest class mean (shared covariance), fitted on "
        f"{detector['train_scans']} training scans of the course split; alarm above "
        f"{detector['threshold']:.2f}, the {detector['quantile']:.0%} quantile of the "
        f"{detector['val_scans']} validation scans' distances "
        f"(median {detector['val_distance_median']:.2f}). "
        "The app warns when either check fires.",
        "",
        "## Images that are not brain MRIs (generated, `mri_course.app.not_mri`)",
        "",
        "| kind | images | image checks | feature check | either | reasons (image checks) |",
        "|---|---|---|---|---|---|",
    ]
    for kind, row in report["not_mri"].items():
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(row["reasons"].items())) or "-"
        lines.append(
            f"| {kind} | {row['images']} | {_pct(row['image_checks'], row['images'])} | "
            f"{_pct(row['feature_check'], row['images'])} | {_pct(row['either'], row['images'])} "
            f"| {reasons} |"
        )
    total = sum(row["images"] for row in report["not_mri"].values())
    rows = report["not_mri"].values()
    by_image = sum(r["image_checks"] for r in rows)
    by_features = sum(r["feature_check"] for r in rows)
    caught = sum(r["either"] for r in rows)
    lines += [
        f"| **all** | {total} | {_pct(by_image, total)} | {_pct(by_features, total)} "
        f"| {_pct(caught, total)} | |",
        "",
        f"## False alarms on the {test['scans']} official test scans",
        "",
        "| class | scans | image checks | feature check |",
        "|---|---|---|---|",
    ]
    for label, row in test["per_class"].items():
        lines.append(
            f"| {label} | {row['scans']} | {_pct(row['image_checks'], row['scans'])} | "
            f"{_pct(row['feature_check'], row['scans'])} |"
        )
    lines += [
        f"| **all** | {test['scans']} | {_pct(test['image_checks'], test['scans'])} | "
        f"{_pct(test['feature_check'], test['scans'])} |",
        "",
        f"Either check: {_pct(test['either'], test['scans'])} of the real test scans get the "
        "warning. The feature check flags about 1% by design (its threshold is the 99th "
        f"percentile of the validation scans); median distance on the test scans "
        f"{test['distance_median']:.2f}.",
        "",
        "### What the image checks measure on the real test scans",
        "",
        "| statistic | min | 1st pct | median | 99th pct | max |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in test["statistics"].items():
        lines.append(
            f"| {name} | {row['min']:.3f} | {row['p01']:.3f} | {row['median']:.3f} | "
            f"{row['p99']:.3f} | {row['max']:.3f} |"
        )
    flagged = test["flagged_by_image_checks"]
    if flagged:
        lines += ["", "Test scans the image checks flag:", ""]
        lines += [f"- `{f['scan']}`: {', '.join(f['reasons'])}" for f in flagged[:40]]
        if len(flagged) > 40:
            lines.append(f"- ... and {len(flagged) - 40} more (see the JSON)")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=SHIPPED_CNN)
    parser.add_argument("--per-kind", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ood_report"))
    parser.add_argument("--no-save", action="store_true", help="do not save the detector")
    args = parser.parse_args()
    report = measure(args.model, args.per_kind, save=not args.no_save)
    markdown = to_markdown(report)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=2))
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    print(markdown)


if __name__ == "__main__":
    main()
