"""Facts of the real dataset (run when MRI_COURSE_DATA points at it; skipped otherwise)."""

import time

import numpy as np
import pytest
import tensorflow as tf

from mri_course.data.benchmark import measure_throughput
from mri_course.data.decode import load_rgb
from mri_course.data.pipeline import decode_file
from mri_course.data.release import RELEASE_COUNTS
from mri_course.data.survey import survey_dataset

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def cold_survey(real_root, tmp_path_factory):
    """The first survey, with an empty cache, and how long it took."""
    cache = tmp_path_factory.mktemp("cache")
    start = time.perf_counter()
    survey = survey_dataset(real_root, cache_dir=cache, progress=False)
    return survey, time.perf_counter() - start, cache


def test_counts_match_the_release_and_every_file_decodes(cold_survey):
    survey, _, _ = cold_survey
    report = survey.verify()
    assert report.ok, report.to_text()
    assert report.counts == RELEASE_COUNTS
    assert report.formats == {"JPEG": 7018, "PNG": 5}
    assert report.distinct_sizes == 387
    assert any("5 file(s) hold another format" in note for note in report.notes)


def test_leakage_figures(cold_survey):
    survey, _, _ = cold_survey
    report = survey.leakage()
    assert (report.exact_groups, report.images_in_exact_groups) == (300, 726)
    assert (report.groups, report.images_in_groups) == (605, 2385)
    assert report.total("Testing", "exact_copy_other_split") == 216
    assert report.total("Testing", "near_copy_other_split") == 342
    assert report.total("Testing", "clean") == 753
    assert report.row("Testing", "notumor").clean == 13


def test_the_course_split_does_not_leak(cold_survey):
    survey, _, _ = cold_survey
    splits = survey.splits(val_fraction=0.15, seed=42)
    assert len(splits.train) + len(splits.val) == 5712
    assert survey.count_with_copy_in(splits.val, splits.train) == 0
    assert len(splits.clean_test) == 753
    assert survey.count_with_copy_in(splits.clean_test, splits.train + splits.val) == 0
    for label, count in splits.counts()["val"].items():
        assert abs(count - 0.15 * RELEASE_COUNTS["Training"][label]) <= 2


def test_the_brief_split_leaks_between_its_halves(cold_survey):
    survey, _, _ = cold_survey
    brief = survey.brief_splits()
    assert survey.count_with_copy_in(brief.test, brief.val) > 50


def test_duplicate_scan_is_under_two_minutes_and_cached(cold_survey, real_root):
    survey, seconds, cache = cold_survey
    assert seconds < 120, f"cold survey took {seconds:.0f} s"
    start = time.perf_counter()
    again = survey_dataset(real_root, cache_dir=cache, progress=False)
    warm = time.perf_counter() - start
    assert warm < 20, f"cached survey took {warm:.1f} s"
    assert np.array_equal(again.duplicates.group_ids, survey.duplicates.group_ids)


def test_tensorflow_and_pillow_decode_the_real_files_alike(cold_survey):
    survey, _, _ = cold_survey
    records = survey.index.records
    png_named_jpg = [r for r, f in zip(records, survey.scan.formats, strict=True) if f == "PNG"]
    for record in list(records[::250]) + png_named_jpg:
        expected = load_rgb(record.path).astype(int)
        decoded = decode_file(tf.constant(str(record.path))).numpy().astype(int)
        assert decoded.shape == expected.shape and np.abs(decoded - expected).max() <= 1


def test_tf_data_beats_a_pillow_loop_once_cached(cold_survey):
    survey, _, _ = cold_survey
    throughput = measure_throughput(survey.usable_records[::10], image_size=128)
    assert throughput.cached_epoch_ratio > 2, throughput.to_text()
