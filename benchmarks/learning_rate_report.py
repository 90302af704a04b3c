"""Lesson 04's learning-rate measurements on the real data, for the notes and the README.

    python benchmarks/learning_rate_report.py --data ../shared/data/brain-tumor-mri \
        [--out benchmarks/results/learning_rate_report.md]

Runs, on the course split's training scans at the ``cpu`` profile's size (128 px), what
lesson 04 runs: the learning-rate range test of a fresh compact CNN (Adam, 100 batches
from 1e-6 to 1), then the same number of steps at three constant rates, timed, with the
steps, epochs and minutes each needs to reach the loss the recipe's rate reaches.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np

from mri_course.config import load_settings
from mri_course.data.locate import locate_dataset
from mri_course.data.pipeline import make_dataset
from mri_course.data.survey import survey_dataset
from mri_course.intuition.range_test import (
    compare_learning_rates,
    cost_table,
    learning_rate_range_test,
    smooth_losses,
)
from mri_course.io import atomic_write_text
from mri_course.models.cnn import build_compact_cnn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/learning_rate_report.md")
    )
    parser.add_argument("--range-steps", type=int, default=100)
    parser.add_argument("--run-steps", type=int, default=60)
    args = parser.parse_args()

    settings = load_settings({"MRI_COURSE_PROFILE": "cpu"})
    size, batch = settings.profile.image_size, settings.profile.batch_size
    survey = survey_dataset(locate_dataset(args.data), progress=False)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    batches = make_dataset(splits.train, size, batch, training=True, seed=settings.seed)

    started = time.perf_counter()
    result = learning_rate_range_test(
        lambda: build_compact_cnn(size), batches, 1e-6, 1.0, steps=args.range_steps
    )
    range_seconds = time.perf_counter() - started
    runs = compare_learning_rates(
        lambda: build_compact_cnn(size), batches, [1e-5, 1e-3, 0.3], steps=args.run_steps
    )
    target = float(smooth_losses(runs[1].losses)[-1])
    steps_per_epoch = int(np.ceil(len(splits.train) / batch))
    lines = [
        "# Learning-rate measurements (lesson 04) on the real data",
        "",
        f"`benchmarks/learning_rate_report.py`, compact CNN at {size} px, batch {batch}, Adam; "
        f"{platform.machine()}, 2 CPU cores.",
        "",
        "## Range test",
        "",
        result.to_text() + f" ({range_seconds:.0f} s).",
        "",
        "| rate | smoothed loss |",
        "| ---: | ---: |",
        *(
            f"| {rate:.1e} | {loss:.3f} |"
            for rate, loss in list(zip(result.rates, result.smoothed, strict=True))[::10]
        ),
        "",
        "## What a bad rate costs",
        "",
        "```",
        cost_table(runs, target, steps_per_epoch),
        "```",
        "",
        f"Seconds per step: {', '.join(f'{r.rate:g}: {r.seconds_per_step:.2f}' for r in runs)}.",
    ]
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
