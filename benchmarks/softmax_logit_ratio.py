"""How much smaller the softmax's gradient map is than the logit's: the figure of lesson 07.

    MRI_COURSE_DATA=../shared/data/brain-tumor-mri nice -n 19 \\
        python benchmarks/softmax_logit_ratio.py [--scans 50] [--model PATH] [--out ...]

For the shipped CNN (or ``--model``, a saved ``.keras`` file) and a fixed random sample of
clean test scans (seed 42), the plain gradient map of the predicted class
(``vanilla_gradient_map``: absolute gradient, largest of the three channels) is computed
twice: of the softmax probability, as the brief does, and of the logit, the score before the
softmax. For each scan the ratio of the two maps' magnitudes is kept, logit over softmax,
both for the largest value of each map and for its mean; the report gives the median and the
quartiles, with the model's confidence, and the rank correlation of the two maps (1: they
order the pixels the same way).

Writes ``<out>.json`` and ``<out>.md`` (default ``benchmarks/results/softmax_logit_ratio``)
and prints the Markdown. ``softmax_logit_ratio_cnn_framed`` is the CNN shipped before label
smoothing (``--model models/cnn_framed.keras``, see ``mitigation_report.py``): its softmax
saturates, and the ratio with it.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from mri_course import load_settings
from mri_course.config import shown_path
from mri_course.data import CLASS_NAMES, dataset_root, load_rgb, survey_dataset
from mri_course.data.pipeline import prepare_pixels
from mri_course.io import atomic_write_text, sha256_of_file
from mri_course.models.shipped import SHIPPED_CNN
from mri_course.saliency.maps import logit_model, vanilla_gradient_map

SEED = 42


def quartiles(values: np.ndarray) -> dict[str, float]:
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
    }


def measure(scans: int, model_path: Path) -> dict:
    settings = load_settings()
    if settings.profile.synthetic:
        raise SystemExit("Run with the real data: MRI_COURSE_PROFILE=cpu and MRI_COURSE_DATA.")
    survey = survey_dataset(dataset_root(settings), cache_dir=settings.cache_dir)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    chosen = np.random.default_rng(SEED).choice(len(splits.clean_test), scans, replace=False)
    records = [splits.clean_test[i] for i in sorted(chosen)]

    import keras

    import mri_course.models  # noqa: F401  (registers the course's own layers)

    model = keras.models.load_model(model_path, compile=False)
    size = model.input_shape[1]
    images = np.stack([prepare_pixels(load_rgb(r.path), size) for r in records])
    probabilities = model.predict(images, verbose=0)
    classes = probabilities.argmax(axis=1)
    of_softmax = np.asarray(vanilla_gradient_map(model, images, classes))
    of_logit = np.asarray(vanilla_gradient_map(logit_model(model), images, classes))

    peak_ratio = of_logit.max(axis=(1, 2)) / of_softmax.max(axis=(1, 2))
    mean_ratio = of_logit.mean(axis=(1, 2)) / of_softmax.mean(axis=(1, 2))
    agreement = np.array(
        [spearmanr(s.ravel(), z.ravel())[0] for s, z in zip(of_softmax, of_logit, strict=True)]
    )
    confidence = probabilities.max(axis=1)
    return {
        "model": shown_path(model_path),
        "sha256": sha256_of_file(model_path),
        "image_size": size,
        "scans": scans,
        "sample": f"{scans} clean test scans drawn with numpy seed {SEED}",
        "correct": int(
            sum(CLASS_NAMES[c] == r.label for c, r in zip(classes, records, strict=True))
        ),
        "confidence": quartiles(confidence),
        "logit_over_softmax_peak": quartiles(peak_ratio),
        "logit_over_softmax_mean": quartiles(mean_ratio),
        "rank_correlation": quartiles(agreement),
        "per_scan": [
            {
                "file": r.relpath,
                "confidence": round(float(c), 6),
                "peak_ratio": round(float(p), 3),
                "mean_ratio": round(float(m), 3),
                "rank_correlation": round(float(a), 4),
            }
            for r, c, p, m, a in zip(
                records, confidence, peak_ratio, mean_ratio, agreement, strict=True
            )
        ],
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }


def markdown(result: dict) -> str:
    def row(name: str, q: dict[str, float], fmt: str) -> str:
        cells = (format(q[k], fmt) for k in ("median", "q1", "q3", "min", "max"))
        return f"| {name} | " + " | ".join(cells) + " |"

    return "\n".join(
        [
            "# Softmax against logit: the size of the gradient map",
            "",
            f"`benchmarks/softmax_logit_ratio.py`: `{result['model']}` ({result['image_size']} px, "
            f"sha256 `{result['sha256'][:12]}`), "
            f"{result['sample']} ({result['correct']} predicted right); the map of the "
            "predicted class, `vanilla_gradient_map`, of the softmax probability and of the logit.",
            "",
            "| per scan | median | 25% | 75% | lowest | highest |",
            "|---|---|---|---|---|---|",
            row(
                "logit map / softmax map, largest values", result["logit_over_softmax_peak"], ",.0f"
            ),
            row("logit map / softmax map, mean values", result["logit_over_softmax_mean"], ",.0f"),
            row("rank correlation of the two maps", result["rank_correlation"], ".2f"),
            row("confidence (top probability)", result["confidence"], ".6f"),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=50)
    parser.add_argument("--model", type=Path, default=SHIPPED_CNN, help="default: the shipped CNN")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/softmax_logit_ratio"))
    args = parser.parse_args()
    if not args.model.is_file():
        raise SystemExit(f"no model file {args.model}: give a saved .keras file with --model")
    result = measure(args.scans, args.model)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(result, indent=1) + "\n")
    text = markdown(result)
    atomic_write_text(args.out.with_suffix(".md"), text)
    print(text)


if __name__ == "__main__":
    main()
