"""Measure the saliency methods: the figures quoted in lesson 07 and the notes.

    nice -n 19 python benchmarks/saliency_report.py [--out benchmarks/results/saliency_report]

Writes ``<out>.json`` and ``<out>.md`` and prints the Markdown. It reports:

* the pointing game per method (share of lesion scans whose map peaks inside the lesion,
  widened by 2 px, against chance) for CNNs trained on the synthetic scans: the ``fast``
  profile's recipe as it is (2 epochs: it does not learn), the same scans for 15 epochs
  (lesson 07's lesion CNN), and more scans for 20 epochs at 64 and 128 px; the class
  explained is the true one;
* the sanity check per method on those CNNs: the rank correlation with the trained map
  after randomising the head, then the last block, then the one before;
* the saliency time per image on this machine's CPU for the compact CNN and the Xception
  transfer model at 128 px (random weights: the time does not depend on them), one image
  at a time as the app computes it.

Everything is written to temporary folders, except the synthetic datasets, which go to the
settings' cache folder and are reused.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

os.environ["MRI_COURSE_PROFILE"] = "fast"
os.environ["MRI_COURSE_MODELS"] = tempfile.mkdtemp(prefix="saliency-report-models-")

import numpy as np  # noqa: E402  (the settings above must come first)

from mri_course import load_settings  # noqa: E402
from mri_course.data.survey import survey_dataset  # noqa: E402
from mri_course.data.synthetic import ensure_synthetic_dataset  # noqa: E402
from mri_course.io import atomic_write_text  # noqa: E402
from mri_course.models.cnn import build_compact_cnn  # noqa: E402
from mri_course.models.transfer import build_transfer_model  # noqa: E402
from mri_course.saliency.maps import saliency_maps  # noqa: E402
from mri_course.saliency.names import METHODS  # noqa: E402
from mri_course.saliency.trust import (  # noqa: E402
    LESION_EPOCHS,
    lesion_images,
    pointing_game,
    sanity_check,
)
from mri_course.training import recipe_for, train  # noqa: E402

SANITY_IMAGES = 16
TIMING_REPEATS = 5


def synthetic_cnn(settings, train_per_class, test_per_class, epochs, image_size, seed) -> dict:
    """Train the compact CNN on a synthetic set and measure every method on its test scans."""
    dataset = ensure_synthetic_dataset(
        settings.cache_dir,
        train_per_class=train_per_class,
        test_per_class=test_per_class,
        seed=seed,
    )
    survey = survey_dataset(dataset.root, settings.cache_dir, progress=False)
    recipe = recipe_for("cnn", settings.profile)
    if epochs is not None:
        recipe = replace(recipe, epochs=epochs, patience=epochs, image_size=image_size)
    started = time.perf_counter()
    trained = train("cnn", settings, survey=survey, recipe=recipe, verbose=0, name="saliency_cnn")
    seconds = time.perf_counter() - started
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    images, masks, labels = lesion_images(dataset, splits.test, recipe.image_size)
    games = {m: pointing_game(trained.model, images, masks, m, labels) for m in METHODS}
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(images), size=min(SANITY_IMAGES, len(images)), replace=False)
    checks = {m: sanity_check(trained.model, images[chosen], m) for m in METHODS}
    return {
        "dataset": f"{train_per_class} training and {test_per_class} test scans per class, "
        f"seed {seed}",
        "recipe": f"{recipe.epochs} epochs at {recipe.image_size} px",
        "train_seconds": round(seconds, 1),
        "test_accuracy": trained.card["metrics"]["test"]["accuracy"],
        "pointing_game": {m: asdict(g) for m, g in games.items()},
        "sanity_check": {m: asdict(c) for m, c in checks.items()},
    }


def milliseconds_per_image(model, image_size: int) -> dict[str, float]:
    """Median wall time of one image's map, per method, after one warm-up call."""
    image = np.random.default_rng(0).uniform(0, 255, (1, image_size, image_size, 3))
    times = {}
    for method in METHODS:
        saliency_maps(model, image.astype("float32"), method)
        runs = []
        for _ in range(TIMING_REPEATS):
            started = time.perf_counter()
            saliency_maps(model, image.astype("float32"), method)
            runs.append(time.perf_counter() - started)
        times[method] = round(1000 * float(np.median(runs)), 1)
    return times


def to_markdown(report: dict) -> str:
    lines = [
        "# Saliency report",
        "",
        f"`benchmarks/saliency_report.py`, {report['machine']}.",
        "",
    ]
    for name, run in report["models"].items():
        lines += [
            f"## {name}: {run['recipe']}, {run['dataset']}",
            "",
            f"Trained in {run['train_seconds']} s; test accuracy {run['test_accuracy']:.1%}.",
            "",
            "| method | pointing game (hits / images) | chance | sanity check: rank correlation "
            "after randomising "
            + " / ".join(next(iter(run["sanity_check"].values()))["stages"])
            + " |",
            "|---|---|---|---|",
        ]
        for method in METHODS:
            game, check = run["pointing_game"][method], run["sanity_check"][method]
            correlations = " / ".join(f"{c:.2f}" for c in check["correlations"])
            lines.append(
                f"| {method} | {game['hit_rate']:.0%} ({sum(game['hits'])} / {game['images']}) "
                f"| {game['chance']:.1%} | {correlations} |"
            )
        lines.append("")
    lines += [
        f"## Saliency time per image on CPU (one image at a time, median of {TIMING_REPEATS})",
        "",
        "| model | " + " | ".join(METHODS) + " |",
        "|---|" + "---|" * len(METHODS),
    ]
    for name, times in report["milliseconds_per_image"].items():
        lines.append(f"| {name} | " + " | ".join(f"{times[m]:.0f} ms" for m in METHODS) + " |")
    lines += ["", report["note"], ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results/saliency_report")
    args = parser.parse_args()
    settings = load_settings()
    fast = settings.profile
    models = {
        "fast profile CNN": synthetic_cnn(
            settings,
            fast.synthetic_train_per_class,
            fast.synthetic_test_per_class,
            None,
            fast.image_size,
            settings.seed,
        ),
        "lesson 07's lesion CNN (fast profile's scans, 15 epochs)": synthetic_cnn(
            settings,
            fast.synthetic_train_per_class,
            fast.synthetic_test_per_class,
            LESION_EPOCHS,
            fast.image_size,
            settings.seed,
        ),
        "CNN that learns the lesions, 64 px": synthetic_cnn(settings, 100, 25, 20, 64, 7),
        "CNN that learns the lesions, 128 px": synthetic_cnn(settings, 100, 25, 20, 128, 7),
    }
    timing = {
        "compact CNN, 128 px": milliseconds_per_image(build_compact_cnn(128), 128),
        "Xception transfer model, 128 px": milliseconds_per_image(
            build_transfer_model(128, None), 128
        ),
    }
    report = {
        "machine": (
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, load "
            f"average {os.getloadavg()[0]:.1f} at the start (other work shares the cores)"
        ),
        "models": models,
        "milliseconds_per_image": timing,
        "note": (
            "Pointing game: the class explained is the true one; a hit is a peak of the drawn "
            "map (masked, top 20%, blurred) inside the lesion widened by 2 px; chance is the "
            "share of the brain that the widened lesion covers. Sanity check: Spearman "
            f"correlation over the brain's pixels, mean over {SANITY_IMAGES} test scans, "
            "randomisation cumulative from the top. SmoothGrad uses 16 noisy copies."
        ),
    }
    out = Path(args.out)
    atomic_write_text(out.with_suffix(".json"), json.dumps(report, indent=1) + "\n")
    markdown = to_markdown(report)
    atomic_write_text(out.with_suffix(".md"), markdown)
    print(markdown)


if __name__ == "__main__":
    main()
