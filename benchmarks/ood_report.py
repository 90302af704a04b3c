"""Fit a model's out-of-distribution detector and measure both OOD checks.

    python benchmarks/ood_report.py [--model mri_course/shipped/compact_cnn.keras]
                                    [--per-kind 20] [--out benchmarks/results/ood_report]

Needs the real dataset (``MRI_COURSE_DATA``). It

1. fits the feature detector (class means and shared covariance of the features the
   model's last layer reads) on the course split's training scans, sets its threshold at
   the 99th percentile of the validation scans' distances, and saves it beside the model
   (``<model>.ood.npz``, which the app loads with the model);
2. measures the drawing check's two statistics on the same training and validation scans,
   where its thresholds were chosen (they must flag none of them);
3. generates a small set of images that are not brain MRIs (:mod:`mri_course.app.not_mri`) and
   counts, per kind, how many each check flags;
4. counts the false alarms of each check on the 1311 official test scans, per class, and
   lists the scans the image checks and the drawing check flag.

Writes ``<out>.md`` and ``<out>.json`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from mri_course import load_settings
from mri_course.app.not_mri import DRAWING_KINDS, KINDS, not_mri_images
from mri_course.app.ood import (
    BLANK_LIMIT,
    BRIGHT_FRACTION,
    COLOUR_LIMIT,
    DARK_LEVEL,
    DARK_SHARE_MAX,
    DARK_SHARE_MIN,
    FEATURE_QUANTILE,
    FLAT_LEVELS,
    FLAT_SHARE_MAX,
    detector_path,
    drawing_statistics,
    drawing_warnings,
    fit_feature_detector,
    image_statistics,
    image_warnings,
    record_features,
)
from mri_course.config import shown_path
from mri_course.data.decode import load_rgb
from mri_course.data.locate import locate_dataset
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.release import CLASS_NAMES
from mri_course.data.survey import survey_dataset
from mri_course.io import atomic_write_text, sha256_of_file
from mri_course.models.shipped import SHIPPED_CNN
from mri_course.training.save import card_path, load_card


def _short(reason: str) -> str:
    """A reason's first words, to count reasons of one kind together."""
    for key, words in (
        ("blank", "almost blank"),
        ("colour", "in colour"),
        ("dark background", "no dark background"),
        ("features", "far from every class"),
        ("flat gray", "flat gray"),
        ("strokes on black", "strokes or small shapes"),
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


def _statistics_row(found, names=("colour", "spread", "dark_share")) -> dict:
    """Min, percentiles and max of each statistic ``names`` over ``found`` (ImageStatistics,
    DrawingStatistics)."""
    row = {}
    for name in names:
        values = np.array([getattr(s, name) for s in found])
        row[name] = {
            "min": float(values.min()),
            "p01": float(np.percentile(values, 1)),
            "median": float(np.median(values)),
            "p99": float(np.percentile(values, 99)),
            "p999": float(np.percentile(values, 99.9)),
            "max": float(values.max()),
        }
    return row


DRAWING_NAMES = ("flat_share", "dark_share")


def _drawing_on_scans(records) -> dict:
    """The drawing check's statistics on real scans (one decoded at a time), where its
    thresholds are chosen: their spread, the flattest and the darkest scan, and how many
    the check flags."""
    found, flagged = [], []
    for record in records:
        pixels = load_rgb(record.path)
        found.append(drawing_statistics(pixels))
        if drawing_warnings(pixels):
            flagged.append(record.relpath)
    flattest = int(np.argmax([s.flat_share for s in found]))
    darkest = int(np.argmax([s.dark_share for s in found]))
    return {
        "scans": len(found),
        "flagged": flagged,
        "statistics": _statistics_row(found, DRAWING_NAMES),
        "flattest": {"scan": records[flattest].relpath, "flat_share": found[flattest].flat_share},
        "darkest": {"scan": records[darkest].relpath, "dark_share": found[darkest].dark_share},
    }


def _jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def _zoomed(pixels: np.ndarray, side: int, factor: int) -> np.ndarray:
    """The scan shrunk to ``side`` pixels, then magnified ``factor`` times, pixel by pixel."""
    image = Image.fromarray(pixels)
    scale = side / max(image.size)
    small = image.resize((round(image.width * scale), round(image.height * scale)))
    return np.asarray(
        small.resize((small.width * factor, small.height * factor), Image.Resampling.NEAREST)
    )


def _blurred(pixels: np.ndarray, sigma: float) -> np.ndarray:
    return np.uint8(np.round(gaussian_filter(pixels.astype(np.float32), (sigma, sigma, 0))))


EDITS = {
    "as it is": lambda x: x,
    "JPEG, quality 50": lambda x: _jpeg(x, 50),
    "JPEG, quality 25": lambda x: _jpeg(x, 25),
    "JPEG, quality 10": lambda x: _jpeg(x, 10),
    "blurred, sigma 1": lambda x: _blurred(x, 1.0),
    "blurred, sigma 2": lambda x: _blurred(x, 2.0),
    "enlarged 2x, bilinear": lambda x: np.asarray(
        Image.fromarray(x).resize((2 * x.shape[1], 2 * x.shape[0]), Image.Resampling.BILINEAR)
    ),
    "256 px, zoomed 2x pixel by pixel": lambda x: _zoomed(x, 256, 2),
    "128 px, zoomed 4x pixel by pixel": lambda x: _zoomed(x, 128, 4),
    "96 px, zoomed 5x pixel by pixel": lambda x: _zoomed(x, 96, 5),
}
"""Ways a real scan may have been edited before it is uploaded."""


def _edited_scans(records, count: int = 300, seed: int = 0) -> dict:
    """How often the drawing check flags ``count`` of the ``records`` after each edit."""
    rng = np.random.default_rng(seed)
    chosen = [records[i] for i in rng.choice(len(records), min(count, len(records)), False)]
    flagged = dict.fromkeys(EDITS, 0)
    for record in chosen:
        pixels = load_rgb(record.path)
        for name, edit in EDITS.items():
            flagged[name] += bool(drawing_warnings(edit(pixels)))
    return {"scans": len(chosen), "flagged": flagged}


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

    # The drawing check on the scans its thresholds were chosen on.
    started = time.perf_counter()
    drawing_fit = _drawing_on_scans([*splits.train, *splits.val])
    drawing_fit["seconds"] = round(time.perf_counter() - started, 1)
    edited = _edited_scans(splits.val)

    # Real test scans: false alarms of each check.
    test = splits.test
    test_distances = detector.distances(record_features(model, test))
    feature_flags = test_distances > detector.threshold
    image_reasons, test_statistics, drawing_reasons, test_drawing = [], [], [], []
    for record in test:  # one at a time: 1311 decoded scans would not fit in memory at once
        pixels = load_rgb(record.path)
        image_reasons.append(image_warnings(pixels))
        test_statistics.append(image_statistics(pixels))
        drawing_reasons.append(drawing_warnings(pixels))
        test_drawing.append(drawing_statistics(pixels))
    image_flags = np.array([bool(reasons) for reasons in image_reasons])
    drawing_flags = np.array([bool(reasons) for reasons in drawing_reasons])
    per_class = {
        label: {
            "scans": int(sum(r.label == label for r in test)),
            "image_checks": int(
                sum(f for r, f in zip(test, image_flags, strict=True) if r.label == label)
            ),
            "drawing_check": int(
                sum(f for r, f in zip(test, drawing_flags, strict=True) if r.label == label)
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
    flagged_by_drawing = [
        {"scan": r.relpath, "reasons": [_short(x) for x in reasons]}
        for r, reasons in zip(test, drawing_reasons, strict=True)
        if reasons
    ]

    # Generated images that are not brain MRIs.
    compiled = CompiledModel(model)
    generated = not_mri_images(per_kind=per_kind, seed=0)
    kinds = {}
    for kind in KINDS:
        images = generated[kind]
        reasons = [image_warnings(image) for image in images]
        drawn = [drawing_warnings(image) for image in images]
        batch = np.stack([prepare_pixels(image, size) for image in images])
        _, features = compiled.predict(batch)
        distances = detector.distances(features)
        by_image = np.array([bool(r) for r in reasons])
        by_drawing = np.array([bool(r) for r in drawn])
        by_features = distances > detector.threshold
        kinds[kind] = {
            "images": len(images),
            "image_checks": int(by_image.sum()),
            "drawing_check": int(by_drawing.sum()),
            "feature_check": int(by_features.sum()),
            "either": int((by_image | by_drawing | by_features).sum()),
            "reasons": dict(Counter(_short(x) for r in reasons + drawn for x in r)),
            "median_distance": float(np.median(distances)),
        }

    return {
        "model": shown_path(model_path),
        "image_size": size,
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "limits": {
            "COLOUR_LIMIT": COLOUR_LIMIT,
            "BLANK_LIMIT": BLANK_LIMIT,
            "DARK_LEVEL": DARK_LEVEL,
            "DARK_SHARE_MIN": DARK_SHARE_MIN,
            "FLAT_LEVELS": FLAT_LEVELS,
            "BRIGHT_FRACTION": BRIGHT_FRACTION,
            "FLAT_SHARE_MAX": FLAT_SHARE_MAX,
            "DARK_SHARE_MAX": DARK_SHARE_MAX,
        },
        "detector": {
            "path": shown_path(saved) if saved else None,
            "features": int(detector.means.shape[1]),
            "train_scans": len(splits.train),
            "val_scans": len(splits.val),
            "quantile": FEATURE_QUANTILE,
            "threshold": detector.threshold,
            "val_distance_median": float(np.median(detector.distances(val_features))),
            "fit_seconds": round(fit_seconds, 1),
        },
        "drawing_fit": drawing_fit,
        "edited_scans": edited,
        "test": {
            "scans": len(test),
            "image_checks": int(image_flags.sum()),
            "drawing_check": int(drawing_flags.sum()),
            "feature_check": int(feature_flags.sum()),
            "either": int((image_flags | drawing_flags | feature_flags).sum()),
            "either_without_drawing_check": int((image_flags | feature_flags).sum()),
            "distance_median": float(np.median(test_distances)),
            "per_class": per_class,
            "flagged_by_image_checks": flagged_by_image,
            "flagged_by_drawing_check": flagged_by_drawing,
            "statistics": _statistics_row(test_statistics),
            "drawing_statistics": _statistics_row(test_drawing, DRAWING_NAMES),
        },
        "not_mri": kinds,
        "not_mri_statistics": {
            kind: _statistics_row([image_statistics(image) for image in generated[kind]])
            for kind in KINDS
        },
        "not_mri_drawing_statistics": {
            kind: _statistics_row(
                [drawing_statistics(image) for image in generated[kind]], DRAWING_NAMES
            )
            for kind in KINDS
        },
    }


CHECKS = ("image_checks", "drawing_check", "feature_check")


def _pct(count: int, total: int) -> str:
    return f"{count}/{total} ({count / total:.1%})" if total else "0/0"


def _statistics_table(rows: dict) -> list[str]:
    lines = [
        "| statistic | min | 1st pct | median | 99th pct | 99.9th pct | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['min']:.3f} | {row['p01']:.3f} | {row['median']:.3f} | "
            f"{row['p99']:.3f} | {row.get('p999', float('nan')):.3f} | {row['max']:.3f} |"
        )
    return lines


def _flagged_list(title: str, flagged: list[dict]) -> list[str]:
    if not flagged:
        return []
    lines = ["", title, ""]
    lines += [f"- `{f['scan']}`: {', '.join(f['reasons'])}" for f in flagged[:40]]
    if len(flagged) > 40:
        lines.append(f"- ... and {len(flagged) - 40} more (see the JSON)")
    return lines


def to_markdown(report: dict) -> str:
    detector, test = report["detector"], report["test"]
    limits, fit = report["limits"], report["drawing_fit"]
    lines = [
        "# Out-of-distribution checks: measured",
        "",
        f"Model: `{report['model']}` ({report['image_size']} px). Produced by "
        "`python benchmarks/ood_report.py`.",
        "",
        "**Image checks** (no model): almost blank (gray-level standard deviation < "
        f"{limits['BLANK_LIMIT']}), in colour (mean channel gap > {limits['COLOUR_LIMIT']}), "
        f"no dark background (< {limits['DARK_SHARE_MIN']:.0%} of pixels darker than "
        f"{limits['DARK_LEVEL']}). **Drawing check** (no model): over "
        f"{limits['FLAT_SHARE_MAX']:.0%} of the bright part flat (its 3 x 3 neighbourhood spans "
        f"at most {limits['FLAT_LEVELS']:g} gray level; the bright part is what is at least "
        f"{limits['DARK_LEVEL']} and {limits['BRIGHT_FRACTION']:.0%} of the image's 99th "
        f"percentile), or over {limits['DARK_SHARE_MAX']:.0%} of the pixels darker than "
        f"{limits['DARK_LEVEL']} (a few strokes on black). **Feature check**: Mahalanobis "
        "distance of the features the last layer reads to the nearest class mean (shared "
        f"covariance), fitted on {detector['train_scans']} training scans of the course split; "
        f"alarm above {detector['threshold']:.2f}, the {detector['quantile']:.0%} quantile of "
        f"the {detector['val_scans']} validation scans' distances "
        f"(median {detector['val_distance_median']:.2f}). "
        "The app warns when any check fires.",
        "",
        "## Images that are not brain MRIs (generated, `mri_course.app.not_mri`)",
        "",
        "| kind | images | image checks | drawing check | feature check | either | reasons "
        "(image and drawing checks) |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, row in report["not_mri"].items():
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(row["reasons"].items())) or "-"
        lines.append(
            f"| {kind} | {row['images']} | {_pct(row['image_checks'], row['images'])} | "
            f"{_pct(row['drawing_check'], row['images'])} | "
            f"{_pct(row['feature_check'], row['images'])} | {_pct(row['either'], row['images'])} "
            f"| {reasons} |"
        )

    def total_row(name: str, rows: list[dict]) -> str:
        images = sum(r["images"] for r in rows)
        counts = [sum(r[key] for r in rows) for key in CHECKS + ("either",)]
        return f"| **{name}** | {images} | " + " | ".join(_pct(c, images) for c in counts) + " | |"

    rows = list(report["not_mri"].values())
    drawings = [row for kind, row in report["not_mri"].items() if kind in DRAWING_KINDS]
    lines += [
        total_row("drawings", drawings),
        total_row("all", rows),
        "",
        f"The drawings are the last {len(DRAWING_KINDS)} kinds ("
        + ", ".join(f"`{kind}`" for kind in DRAWING_KINDS)
        + "): gray and on black, they pass the image checks.",
        "",
        f"## False alarms on the {test['scans']} official test scans",
        "",
        "| class | scans | image checks | drawing check | feature check |",
        "|---|---|---|---|---|",
    ]
    for label, row in test["per_class"].items():
        lines.append(
            f"| {label} | {row['scans']} | {_pct(row['image_checks'], row['scans'])} | "
            f"{_pct(row['drawing_check'], row['scans'])} | "
            f"{_pct(row['feature_check'], row['scans'])} |"
        )
    lines += [
        f"| **all** | {test['scans']} | {_pct(test['image_checks'], test['scans'])} | "
        f"{_pct(test['drawing_check'], test['scans'])} | "
        f"{_pct(test['feature_check'], test['scans'])} |",
        "",
        f"Any check: {_pct(test['either'], test['scans'])} of the real test scans get the "
        f"warning ({_pct(test['either_without_drawing_check'], test['scans'])} without the "
        "drawing check). The feature check flags about 1% by design (its threshold is the "
        "99th percentile of the validation scans); median distance on the test scans "
        f"{test['distance_median']:.2f}.",
        "",
        "### What the image checks measure on the real test scans",
        "",
        *_statistics_table(test["statistics"]),
        "",
        "## The drawing check's thresholds: chosen on the training and validation scans",
        "",
        f"Its two statistics on the {fit['scans']} training and validation scans of the course "
        "split (the scans the model and the feature detector were fitted on; the test scans "
        f"were measured once, after the thresholds were set). The check flags "
        f"{_pct(len(fit['flagged']), fit['scans'])} of them. The flattest is "
        f"`{fit['flattest']['scan']}` ({fit['flattest']['flat_share']:.3f} of its bright part "
        f"flat, against the limit {limits['FLAT_SHARE_MAX']}); the darkest is "
        f"`{fit['darkest']['scan']}` ({fit['darkest']['dark_share']:.3f} of its pixels dark, "
        f"against the limit {limits['DARK_SHARE_MAX']}). Plain drawings have most of their "
        "bright part flat (`not_mri_drawing_statistics` in the JSON has them for each kind).",
        "",
        *_statistics_table(fit["statistics"]),
        "",
        "The same statistics on the test scans:",
        "",
        *_statistics_table(test["drawing_statistics"]),
        "",
        "### Real scans edited before they are uploaded",
        "",
        f"{report['edited_scans']['scans']} validation scans, chosen at random, each edited as "
        "below; how many the drawing check then flags. Coarse JPEG and nearest-neighbour zoom "
        "make flat blocks of a scan too.",
        "",
        "| edit | drawing check |",
        "|---|---|",
        *[
            f"| {name} | {_pct(count, report['edited_scans']['scans'])} |"
            for name, count in report["edited_scans"]["flagged"].items()
        ],
    ]
    lines += _flagged_list("Test scans the image checks flag:", test["flagged_by_image_checks"])
    lines += _flagged_list("Test scans the drawing check flags:", test["flagged_by_drawing_check"])
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
