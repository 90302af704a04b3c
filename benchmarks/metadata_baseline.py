"""A classifier that never sees the brain, on the real dataset: the shortcut's yardstick.

    MRI_COURSE_DATA=/path/to/brain-tumor-mri python benchmarks/metadata_baseline.py \
        [--out benchmarks/results/metadata_baseline]

Fits :func:`mri_course.audit.metadata.fit_metadata_baseline` twice on the course split
(train, chosen on validation, scored once on the official and the clean test): with the
image's size alone, and with every metadata feature. Writes ``<out>.md`` and ``<out>.json``
and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from mri_course import load_settings
from mri_course.audit.metadata import (
    FEATURES,
    SIZE_FEATURES,
    baseline_markdown,
    fit_metadata_baseline,
)
from mri_course.data.locate import dataset_root
from mri_course.data.survey import survey_dataset
from mri_course.io import atomic_write_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/metadata_baseline"))
    args = parser.parse_args()
    settings = load_settings().with_profile("cpu")
    started = time.perf_counter()
    survey = survey_dataset(dataset_root(settings), settings.cache_dir, progress=False)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    baselines = [
        fit_metadata_baseline(survey, splits, features, seed=settings.seed)
        for features in (SIZE_FEATURES, FEATURES)
    ]
    seconds = time.perf_counter() - started
    chance = max(np.bincount([r.label_index for r in splits.test])) / len(splits.test)
    importance = sorted(baselines[1].importance.items(), key=lambda item: -item[1])
    markdown = "\n".join(
        [
            "# A model that never sees the brain",
            "",
            f"Produced by `python benchmarks/metadata_baseline.py` in {seconds:.0f} s on "
            f"{platform.machine()} ({platform.platform()}). Course split, seed {settings.seed}: "
            "fitted on train, classifier chosen on validation, each test set scored once. "
            f"Always answering the largest class would score {chance:.1%} on the official test.",
            "",
            "Accuracy and recall per class (the share of each class's scans it found):",
            "",
            baseline_markdown(baselines),
            "",
            "Validation accuracy of each classifier tried (all metadata): "
            + ", ".join(f"{name} {value:.1%}" for name, value in baselines[1].validation.items())
            + ".",
            "",
            "What gives the class away (permutation importance on validation: the accuracy "
            "lost when one feature is shuffled): "
            + ", ".join(f"{name} {value:.3f}" for name, value in importance)
            + ".",
            "",
            "Features: " + ", ".join(FEATURES) + " (see `mri_course/audit/metadata.py`).",
            "",
        ]
    )
    report = {
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "seconds": round(seconds, 1),
        "seed": settings.seed,
        "majority_class_share_official_test": chance,
        "baselines": [asdict(baseline) for baseline in baselines],
    }
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=2) + "\n")
    print(markdown)


if __name__ == "__main__":
    main()
