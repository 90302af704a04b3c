"""A healthy brain the models never saw: MNI152 template slices per plane and window.

    python benchmarks/mni152_report.py [--slices 24] [--data ../shared/data/brain-tumor-mri]
                                       [--out benchmarks/results/mni152_report]
                                       [--sheet docs/mni152_slices.png]

For the shipped CNN and every other course model that is trained
(:func:`mri_course.training.registry.course_models`), at each window of
:data:`mri_course.audit.mni152.WINDOWS`, it renders ``--slices`` slices of nilearn's MNI152
T1 template per plane (:func:`mri_course.audit.mni152.render_slices`; offline, no download)
and counts how many each model calls ``notumor`` (the truth for every slice), and how
confident its wrong calls are. With the dataset (``--data`` or ``MRI_COURSE_DATA``) it also
measures how bright the dataset's brains are per class, next to the rendered slices' level
in each window, to show which window looks like which class.

Writes ``<out>.md`` and ``<out>.json``, prints the Markdown, and saves ``--sheet``: eight of
the slices per plane in the first window, each with the shipped CNN's call, so a reader sees
what the model saw.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
from pathlib import Path

import numpy as np

from mri_course import load_settings
from mri_course.audit.mni152 import (
    CONFIDENT,
    PLANES,
    TRUTH,
    WINDOWS,
    confident_wrong_share,
    render_slices,
    score_planes,
)
from mri_course.data.decode import load_rgb
from mri_course.data.locate import find_dataset_root
from mri_course.data.release import CLASS_NAMES
from mri_course.io import atomic_write_bytes, atomic_write_text
from mri_course.models.shipped import SHIPPED_CNN
from mri_course.training.registry import course_models

SHEET_COLUMNS = 8
SHEET_TILE = 160
CENTRE = (0.3, 0.7)  # the central crop whose median grey is "how bright the brain is"
DATASET_SAMPLE = 120  # training images per class for the brightness reference


def _centre_median(grey: np.ndarray) -> float:
    h, w = grey.shape
    lo, hi = CENTRE
    return float(np.median(grey[int(h * lo) : int(h * hi), int(w * lo) : int(w * hi)]))


def models() -> list[tuple[str, str, object]]:
    """(key, title, model) for the shipped CNN and each other trained course model."""
    import keras

    found = [
        (
            "shipped_cnn",
            "Compact CNN (shipped)",
            keras.models.load_model(SHIPPED_CNN, compile=False),
        )
    ]
    for entry in course_models(load_settings()):
        if entry.key != "shipped_cnn" and entry.available:
            model = keras.models.load_model(entry.path, compile=False)
            found.append((entry.key, entry.title, model))
    return found


def dataset_brightness(data: Path | None) -> dict | None:
    """Median grey of the central crop per training class (a sample), or None without data."""
    root = find_dataset_root(data) if data else None
    if root is None:
        return None
    result = {}
    for label in CLASS_NAMES:
        files = sorted((root / "Training" / label).glob("*.jpg"))
        chosen = files[:: max(1, len(files) // DATASET_SAMPLE)][:DATASET_SAMPLE]
        levels = [_centre_median(load_rgb(path)[..., 0]) for path in chosen]
        result[label] = {
            "images": len(levels),
            "median": float(np.median(levels)),
            "p10": float(np.percentile(levels, 10)),
            "p90": float(np.percentile(levels, 90)),
        }
    return result


def rendered_brightness(slices: int) -> dict:
    """The same measure on the rendered slices, per window and plane (median over slices)."""
    return {
        name: {
            plane: float(
                np.median(
                    [_centre_median(im[..., 0]) for im in render_slices(plane, slices, window=w)]
                )
            )
            for plane in PLANES
        }
        for name, w in WINDOWS.items()
    }


def measure(slices: int, data: Path | None) -> dict:
    import keras
    import nilearn

    report = {
        "slices_per_plane": slices,
        "truth": TRUTH,
        "confident": CONFIDENT,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "nilearn": nilearn.__version__,
        },
        "windows": {
            name: {"low": w.low, "high": w.high, "peak": w.peak, "describe": w.describe()}
            for name, w in WINDOWS.items()
        },
        "dataset_brightness": dataset_brightness(data),
        "rendered_brightness": rendered_brightness(slices),
        "models": {},
    }
    for key, title, model in models():
        row = {"title": title, "input_size": int(model.input_shape[1]), "windows": {}}
        for name, window in WINDOWS.items():
            scores = score_planes(model, PLANES, slices, window=window)
            row["windows"][name] = {
                "confident_wrong_share": confident_wrong_share(scores),
                "planes": {plane: score.summary() for plane, score in scores.items()},
            }
        report["models"][key] = row
    return report


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _conf(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def to_markdown(report: dict) -> str:
    machine = report["machine"]
    n = report["slices_per_plane"]
    confident = f"wrong at ≥ {report['confident']:.0%}"
    wrong_key = f"wrong_at_{report['confident']:g}"
    lines = [
        "# A healthy brain from elsewhere: the MNI152 template per plane",
        "",
        f"{n} slices per plane of nilearn's MNI152 T1 template (skull-stripped, 1 mm), "
        "rendered like the dataset's images; the truth is `notumor` for every slice. "
        f"Keras {machine['keras']} ({machine['backend']}), nilearn {machine['nilearn']}, "
        f"{machine['platform']}. Produced by `python benchmarks/mni152_report.py --data "
        "../shared/data/brain-tumor-mri`.",
        "",
        "Windows: "
        + "; ".join(f"**{name}** {w['describe']}" for name, w in report["windows"].items())
        + ".",
        "",
    ]
    for row in report["models"].values():
        lines += [
            f"## {row['title']} ({row['input_size']} px)",
            "",
            f"| window | plane | called notumor | predicted (g / m / n / p) | {confident} | "
            "wrong-call confidence, median / max |",
            "|---|---|---|---|---|---|",
        ]
        for name, result in row["windows"].items():
            for plane, s in result["planes"].items():
                counts = " / ".join(str(s["counts"][c]) for c in CLASS_NAMES)
                lines.append(
                    f"| {name} | {plane} | **{_pct(s['share_notumor'])}** "
                    f"({s['counts'][TRUTH]}/{s['slices']}) | {counts} | "
                    f"{s[wrong_key]} | "
                    f"{_conf(s['median_wrong_confidence'])} / {_conf(s['max_wrong_confidence'])} |"
                )
        shares = ", ".join(
            f"{name} {_pct(result['confident_wrong_share'])}"
            for name, result in row["windows"].items()
        )
        lines += [
            "",
            f"Share of all {3 * n} slices given a wrong label at ≥ {report['confident']:.0%} "
            f"confidence, per window: {shares}.",
            "",
        ]
    lines += [
        "## How bright the brain is",
        "",
        "Median grey (0..255) of the central 40% of the image: a rough level of the brain.",
        "",
    ]
    data = report["dataset_brightness"]
    if data:
        lines += [
            "| dataset class (training sample) | images | median | 10th–90th percentile |",
            "|---|---|---|---|",
        ]
        for label, d in data.items():
            lines.append(
                f"| {label} | {d['images']} | {d['median']:.0f} | {d['p10']:.0f}–{d['p90']:.0f} |"
            )
        lines.append("")
    else:
        lines += ["(The dataset was not given: no reference levels.)", ""]
    lines += ["| rendered window | " + " | ".join(PLANES) + " |", "|---|---|---|---|"]
    for name, planes in report["rendered_brightness"].items():
        lines.append(f"| {name} | " + " | ".join(f"{planes[p]:.0f}" for p in PLANES) + " |")
    lines += [
        "",
        "The template has no skull, scalp, face or neck, unlike every scan in the dataset, "
        "and it is an average of 152 brains (smooth, noiseless, not a JPEG): a wrong call "
        "may answer those differences as well as the plane. It is also left-right "
        "symmetric: sagittal slices at x and -x are the same image, so sagittal counts come "
        "in mirror pairs. `docs/mni152_slices.png` shows the slices.",
    ]
    return "\n".join(lines) + "\n"


def contact_sheet(report: dict) -> bytes:
    """Eight slices per plane (first window) with the shipped CNN's call, as a PNG."""
    from PIL import Image, ImageDraw

    name = next(iter(WINDOWS))
    slices = report["slices_per_plane"]
    planes = report["models"]["shipped_cnn"]["windows"][name]["planes"]
    chosen = np.unique(np.round(np.linspace(0, slices - 1, SHEET_COLUMNS)).astype(int))
    label_h = 18
    sheet = Image.new("RGB", (len(chosen) * SHEET_TILE, len(PLANES) * (SHEET_TILE + label_h)))
    draw = ImageDraw.Draw(sheet)
    for r, plane in enumerate(PLANES):
        images = render_slices(plane, slices, window=WINDOWS[name])
        per_slice = planes[plane]["per_slice"]
        top = r * (SHEET_TILE + label_h)
        axis = {"sagittal": "x", "coronal": "y", "axial": "z"}[plane]
        for c, k in enumerate(chosen):
            tile = Image.fromarray(images[k]).resize((SHEET_TILE, SHEET_TILE), Image.LANCZOS)
            sheet.paste(tile, (c * SHEET_TILE, top))
            call = per_slice[k]["predicted"]
            confidence = max(per_slice[k]["probabilities"])
            text = f"{axis}{per_slice[k]['position_mm']:+.0f} {call} {confidence:.2f}"
            colour = (120, 220, 120) if call == TRUTH else (255, 110, 110)
            draw.text((c * SHEET_TILE + 3, top + SHEET_TILE + 3), text, fill=colour)
        draw.text((4, top + 3), f"{plane}, {name} window", fill=(255, 255, 0))
    buffer = io.BytesIO()
    sheet.convert("P", palette=Image.ADAPTIVE, colors=128).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slices", type=int, default=24, help="slices per plane")
    parser.add_argument("--data", type=Path, default=None, help="the dataset (brightness only)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/mni152_report"))
    parser.add_argument("--sheet", type=Path, default=Path("docs/mni152_slices.png"))
    args = parser.parse_args()
    report = measure(args.slices, args.data or load_settings().data_dir)
    markdown = to_markdown(report)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=2))
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    atomic_write_bytes(args.sheet, contact_sheet(report))
    print(markdown)


if __name__ == "__main__":
    main()
