"""The confound, measured: class x slice plane and class x source proxy, and every course
model's accuracy per group and class on the official and the clean test sets.

    MRI_COURSE_DATA=/path/to/brain-tumor-mri python benchmarks/confounds_report.py \
        [--out benchmarks/results/confounds_report]

Planes come from the labels the course ships (:mod:`mri_course.audit.planes`); the source
proxy is the image size (:func:`mri_course.audit.groups.size_group`). Models: the shipped
CNN and every other trained course model (:func:`mri_course.training.registry.course_models`).
Writes ``<out>.md`` and ``<out>.json`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import platform
from dataclasses import asdict
from pathlib import Path

from mri_course import load_settings
from mri_course.audit.groups import accuracy_by_group, crosstab, size_groups
from mri_course.audit.planes import PLANES, plane_of
from mri_course.data.locate import dataset_root
from mri_course.data.survey import survey_dataset
from mri_course.evaluation.predict import predict
from mri_course.io import atomic_write_text
from mri_course.training.registry import course_models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/confounds_report"))
    args = parser.parse_args()
    settings = load_settings().with_profile("cpu")
    survey = survey_dataset(dataset_root(settings), settings.cache_dir, progress=False)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    sha_of = dict(zip(survey.scan.relpaths, survey.scan.file_sha256, strict=True))

    def planes(records):
        return [plane_of(sha_of[record.relpath]) for record in records]

    def labels(records):
        return [record.label_index for record in records]

    training = [r for r in survey.usable_records if r.split == "Training"]
    testing = [r for r in survey.usable_records if r.split == "Testing"]
    tables = {
        "class x plane, Training/": crosstab(planes(training), labels(training), "plane", PLANES),
        "class x plane, Testing/": crosstab(planes(testing), labels(testing), "plane", PLANES),
        "class x plane, clean test": crosstab(
            planes(splits.clean_test), labels(splits.clean_test), "plane", PLANES
        ),
        "class x image size (a proxy for the source), Training/": crosstab(
            size_groups(survey, training), labels(training), "image size"
        ),
        "class x image size, Testing/": crosstab(
            size_groups(survey, testing), labels(testing), "image size"
        ),
    }
    for entry in course_models(settings):
        if not entry.available:
            continue
        predictions = predict(entry.load(), splits.test)
        for subset in ("test", "clean_test"):
            part = predictions.subset(getattr(splits, subset))
            name = "official test" if subset == "test" else "clean test"
            tables[f"{entry.key}: accuracy per plane, {name}"] = accuracy_by_group(
                planes(part.records), part.labels, part.predicted, "plane", PLANES
            )
            tables[f"{entry.key}: accuracy per image size, {name}"] = accuracy_by_group(
                size_groups(survey, part.records), part.labels, part.predicted, "image size"
            )
    sections = [
        "# The confound, measured",
        "",
        f"Produced by `python benchmarks/confounds_report.py` on {platform.platform()}. Planes: "
        "the labels shipped in `mri_course/audit/data/` (`benchmarks/results/plane_labels.md` "
        "says how they were made and how accurate they are). Accuracy cells: share right "
        "(scans); `-`: no such scan.",
    ]
    for title, table in tables.items():
        sections += ["", f"## {title}", "", table.to_markdown()]
    markdown = "\n".join(sections) + "\n"
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    report = {title: asdict(table) for title, table in tables.items()}
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=2) + "\n")
    print(markdown)


if __name__ == "__main__":
    main()
