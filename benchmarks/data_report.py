"""Measure the data pipeline on the real dataset: the figures quoted in the README and notes.

    python benchmarks/data_report.py --data ../shared/data/brain-tumor-mri [--json out.json]

Reports, each from a cold cache (a fresh temporary folder) and then warm:
* the time of ``mri-course data verify`` and ``mri-course data leakage``, and what verify
  finds in the files (formats, colour modes, sizes);
* the leakage counts;
* how well the 256-bit hash finds the pairs that an all-pairs pixel comparison confirms
  (recall) and how many of its candidates the pixels reject (why hashes alone are wrong);
* tf.data throughput against a one-image-at-a-time Pillow loop.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from mri_course.config import load_settings
from mri_course.data.benchmark import measure_throughput
from mri_course.data.duplicates import MAX_HAMMING, MIN_SIMILARITY
from mri_course.data.hashing import hamming_matrix, rank_normalise
from mri_course.data.locate import locate_dataset
from mri_course.data.survey import survey_dataset
from mri_course.io import atomic_write_text


def _timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def hash_recall(survey) -> dict:
    """Compare the hash's candidates with an exhaustive comparison of all pairs."""
    scan = survey.scan
    ok = np.flatnonzero(scan.usable)
    normalised = rank_normalise(scan.thumbnails[ok])
    similarity = normalised @ normalised.T / normalised.shape[1]
    distance = hamming_matrix(scan.hashes[ok], scan.hashes[ok])
    upper = np.triu_indices(len(ok), 1)
    confirmed = similarity[upper] >= MIN_SIMILARITY
    candidates = distance[upper] <= MAX_HAMMING
    return {
        "pairs": int(len(confirmed)),
        "confirmed_by_all_pairs": int(confirmed.sum()),
        "hash_candidates": int(candidates.sum()),
        "confirmed_missed_by_hash": int((confirmed & ~candidates).sum()),
        "share_of_candidates_confirmed": round(
            float((confirmed & candidates).sum()) / max(1, int(candidates.sum())), 4
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="dataset folder (else MRI_COURSE_DATA)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--benchmark-images",
        type=int,
        default=0,
        help="images for the throughput test (default: all)",
    )
    args = parser.parse_args()
    root = locate_dataset(args.data, settings=load_settings())

    figures: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} CPU cores"}
    with tempfile.TemporaryDirectory() as cache:
        survey, cold = _timed(lambda: survey_dataset(root, cache_dir=Path(cache)))
        verify, verify_seconds = _timed(survey.verify)
        leakage, leakage_seconds = _timed(survey.leakage)
        _, warm = _timed(lambda: survey_dataset(root, cache_dir=Path(cache), progress=False))
    figures["survey_seconds"] = {
        "cold": round(cold, 1),
        "warm": round(warm, 1),
        "verify_after_survey": round(verify_seconds, 2),
        "leakage_after_survey": round(leakage_seconds, 2),
    }
    figures["verify_ok"] = verify.ok
    figures["verify"] = {  # what lesson 01 and the README say of the files themselves
        "formats": verify.formats,
        "modes_before_conversion": verify.modes,
        "distinct_sizes": verify.distinct_sizes,
        "notes": list(verify.notes),
    }
    figures["leakage"] = {
        "exact_groups": leakage.exact_groups,
        "images_in_exact_groups": leakage.images_in_exact_groups,
        "groups": leakage.groups,
        "images_in_groups": leakage.images_in_groups,
        "testing_images": leakage.total("Testing", "images"),
        "testing_with_exact_copy_in_training": leakage.total("Testing", "exact_copy_other_split"),
        "testing_with_only_near_copy_in_training": leakage.total(
            "Testing", "near_copy_other_split"
        ),
        "clean_test": leakage.total("Testing", "clean"),
        "label_conflicts": len(leakage.label_conflicts),
    }
    # Throughput first: the all-pairs matrices of hash_recall fill memory and keep the BLAS
    # threads busy, which slows whatever runs right after them.
    records = survey.usable_records
    if args.benchmark_images:
        records = records[:: max(1, len(records) // args.benchmark_images)]
    throughput = measure_throughput(records, image_size=128)
    figures["throughput_img_per_s"] = {
        "images": throughput.images,
        "pillow_loop": round(throughput.pil_loop, 1),
        "tf_data_first_epoch": round(throughput.tf_first_epoch, 1),
        "tf_data_cached_epoch": round(throughput.tf_cached_epoch, 1),
        "ratio_first_epoch": round(throughput.first_epoch_ratio, 2),
        "ratio_cached_epoch": round(throughput.cached_epoch_ratio, 1),
    }
    figures["hash_recall"] = hash_recall(survey)
    print(leakage.to_text())
    print(json.dumps(figures, indent=2))
    if args.json:
        atomic_write_text(args.json, json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
