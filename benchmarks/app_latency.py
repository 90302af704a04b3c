"""How long the app takes per scan: read, predict, map, draw; per model and saliency method.

    python benchmarks/app_latency.py [--scans 30] [--out benchmarks/results/app_latency]

For the compact CNN (the shipped one when present, else random weights: the time does not
depend on them) and the Xception transfer model at 128 px (random weights), each wrapped
once in :class:`mri_course.app.analysis.CompiledModel` as the app does, it times every scan
(real test scans when ``MRI_COURSE_DATA`` is set, else synthetic ones):

* ``read``: :func:`mri_course.app.scan_input.read_scan` on the file's bytes;
* ``predict``: resize + forward pass (``ScanAnalysis.prediction_ms``);
* ``saliency``: the map, its drawing and its summary (``ScanAnalysis.saliency_ms``);
* ``total``: read + :func:`analyse_scan` (both of the above and the OOD image checks) +
  the overlay's PNG: what one click costs before Streamlit sends the page.

It also times lesson 07's uncompiled ``saliency_map`` on the same scans, to show what the
compiled functions save, and the one-off cost of loading and compiling. Writes
``<out>.md`` and ``<out>.json`` and prints the Markdown. Run it on an idle machine.
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
from mri_course.app.analysis import CompiledModel, analyse_scan
from mri_course.app.scan_input import read_scan
from mri_course.data.locate import find_dataset_root
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.release import CLASS_NAMES
from mri_course.data.synthetic import render_scan
from mri_course.evaluation.uncertainty import Uncertainty
from mri_course.io import atomic_write_text
from mri_course.models.shipped import SHIPPED_CNN, shipped_card
from mri_course.saliency.maps import saliency_map
from mri_course.saliency.names import APP_METHODS

IMAGE_SIZE = 128
BASELINE_SCANS = 10


def scan_files(count: int) -> tuple[list[bytes], str]:
    """``count`` scan files as bytes, spread over the classes, and where they come from."""
    settings = load_settings()
    root = find_dataset_root(settings.data_dir) if settings.data_dir else None
    if root is not None:
        per_class = -(-count // len(CLASS_NAMES))
        paths = []
        for label in CLASS_NAMES:
            found = sorted((root / "Testing" / label).glob("*.jpg"))
            paths += found[:: max(1, len(found) // per_class)][:per_class]
        return [p.read_bytes() for p in paths[:count]], f"{count} real test scans"
    import io

    from PIL import Image

    rng = np.random.default_rng(0)
    files = []
    for k in range(count):
        gray = render_scan(CLASS_NAMES[k % 4], 256, rng)[0]
        buffer = io.BytesIO()
        Image.fromarray(gray).save(buffer, format="PNG")
        files.append(buffer.getvalue())
    return files, f"{count} synthetic 256 px scans"


def models() -> dict:
    import keras

    from mri_course.models.cnn import build_compact_cnn
    from mri_course.models.transfer import build_transfer_model

    found = {}
    started = time.perf_counter()
    uncertainty = None
    if SHIPPED_CNN.is_file():
        cnn, what = keras.models.load_model(SHIPPED_CNN), "compact CNN (shipped), 128 px"
        uncertainty = Uncertainty.from_card(shipped_card())  # as the app shows them
    else:
        cnn, what = build_compact_cnn(IMAGE_SIZE), "compact CNN (random weights), 128 px"
    found[what] = (cnn, time.perf_counter() - started, uncertainty)
    started = time.perf_counter()
    xception = build_transfer_model(IMAGE_SIZE, None)
    found["Xception transfer (random weights), 128 px"] = (
        xception,
        time.perf_counter() - started,
        None,
    )
    return found


def _summary(values: list[float]) -> dict:
    return {"median": float(np.median(values)), "p90": float(np.percentile(values, 90))}


def measure(count: int) -> dict:
    files, source = scan_files(count)
    report = {
        "scans": source,
        "machine": {
            "cpu_cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "models": {},
    }
    for name, (model, load_s, uncertainty) in models().items():
        started = time.perf_counter()
        compiled = CompiledModel(model)
        compile_s = time.perf_counter() - started
        warm_s = compiled.warm_up()
        row = {"load_s": load_s, "compile_s": compile_s, "warm_up_s": warm_s, "methods": {}}
        for method in APP_METHODS:
            timings = {"read": [], "predict": [], "saliency": [], "total": []}
            for data in files:
                started = time.perf_counter()
                scan = read_scan(data, "scan")
                read_ms = 1000 * (time.perf_counter() - started)
                analysis = analyse_scan(compiled, scan.pixels, method, name, None, uncertainty)
                analysis.overlay_png()
                timings["read"].append(read_ms)
                timings["predict"].append(analysis.prediction_ms)
                timings["saliency"].append(analysis.saliency_ms)
                timings["total"].append(1000 * (time.perf_counter() - started))
            baseline = []
            for data in files[:BASELINE_SCANS]:
                image = prepare_pixels(read_scan(data, "scan").pixels, compiled.image_size)
                started = time.perf_counter()
                saliency_map(model, image, method)
                baseline.append(1000 * (time.perf_counter() - started))
            row["methods"][method] = {
                **{key: _summary(values) for key, values in timings.items()},
                "lesson07_saliency_map": _summary(baseline),
            }
        report["models"][name] = row
    return report


def to_markdown(report: dict) -> str:
    machine = report["machine"]
    lines = [
        "# App latency: one scan, one click",
        "",
        f"{report['scans']}, one at a time, on {machine['cpu_cores']} CPU cores "
        f"({machine['platform']}). Milliseconds, median / 90th percentile. Produced by "
        "`python benchmarks/app_latency.py`.",
        "",
        "| model | method | read | predict | saliency | **total** | lesson 07's `saliency_map` |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in report["models"].items():
        for method, t in row["methods"].items():
            cells = [
                f"{t[key]['median']:.0f} / {t[key]['p90']:.0f}"
                for key in ("read", "predict", "saliency")
            ]
            total = f"**{t['total']['median']:.0f} / {t['total']['p90']:.0f}**"
            base = t["lesson07_saliency_map"]
            lines.append(
                f"| {name} | {method} | {' | '.join(cells)} | {total} | "
                f"{base['median']:.0f} / {base['p90']:.0f} |"
            )
    lines += [
        "",
        "**total** = `read_scan` + `analyse_scan` (resize, forward pass, map, drawing, region "
        "summary, OOD checks, slice plane, cautions: the scan cropped and turned, classified "
        "again) + the overlay's PNG. The last column times lesson 07's "
        "uncompiled `saliency_map` alone on the same scans, for comparison.",
        "",
        "Once per model and server process (kept by `st.cache_resource`):",
        "",
        "| model | load / build | compile | warm-up (tracing) |",
        "|---|---|---|---|",
    ]
    for name, row in report["models"].items():
        lines.append(
            f"| {name} | {row['load_s']:.1f} s | {row['compile_s']:.1f} s | "
            f"{row['warm_up_s']:.1f} s |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/app_latency"))
    args = parser.parse_args()
    report = measure(args.scans)
    markdown = to_markdown(report)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=2))
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    print(markdown)


if __name__ == "__main__":
    main()
