"""Duplicates, leakage and splits on the synthetic set, whose planted copies are known."""

import io
import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

import mri_course.data.scan as scan_module
from mri_course.data.duplicates import find_duplicates, rejected_candidates
from mri_course.data.splits import brief_splits, course_splits
from mri_course.data.survey import survey_dataset


def _relpaths(survey, indices):
    return {survey.index.records[i].relpath for i in indices}


def test_every_planted_copy_is_found_and_nothing_else(synthetic, synthetic_survey):
    duplicates = synthetic_survey.duplicates
    found = {frozenset(_relpaths(synthetic_survey, g)) for g in duplicates.groups()}
    planted = {frozenset((p["original"], p["copy"])) for p in synthetic.planted_duplicates}
    assert found == planted
    kinds = {
        frozenset(_relpaths(synthetic_survey, pair)): kind
        for pair, kind in zip(duplicates.pairs, duplicates.kinds, strict=True)
    }
    for p in synthetic.planted_duplicates:
        assert kinds[frozenset((p["original"], p["copy"]))] == p["kind"]


def test_the_hash_alone_would_merge_different_scans(synthetic_survey):
    scan = synthetic_survey.scan
    rejected = rejected_candidates(scan, synthetic_survey.duplicates)
    assert rejected, "on brain-like images the hash proposes pairs of different scans"
    assert all(similarity < 0.97 for *_, similarity in rejected)
    unconfirmed = find_duplicates(scan, min_similarity=-1.0)
    in_groups = sum(len(g) for g in unconfirmed.groups())
    assert in_groups > 2 * sum(len(g) for g in synthetic_survey.duplicates.groups())
    assert max(len(g) for g in unconfirmed.groups()) > 2  # different scans merged


def test_exact_means_identical_pixels_even_in_another_file_format(synthetic, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(synthetic.root, root)
    source = root / "Training" / "glioma" / "Tr-sy-gl_0003.png"
    gray = Image.open(source).convert("L")
    buffer = io.BytesIO()
    gray.convert("RGB").save(buffer, format="BMP")  # same pixels, other format and bytes
    (root / "Testing" / "glioma" / "copy.bmp").write_bytes(buffer.getvalue())
    survey = survey_dataset(root, progress=False)
    pair = {"Training/glioma/Tr-sy-gl_0003.png", "Testing/glioma/copy.bmp"}
    exact = [set(_relpaths(survey, g)) for g in survey.duplicates.exact_groups()]
    assert pair in exact


def test_groups_are_transitive(synthetic_survey):
    scan = synthetic_survey.scan
    ids = synthetic_survey.duplicates.group_ids
    chained = find_duplicates(scan)
    assert np.array_equal(chained.group_ids, ids)  # deterministic
    for i, j in synthetic_survey.duplicates.pairs:
        assert ids[i] == ids[j]


def test_leakage_report_counts_the_planted_copies(synthetic_survey):
    report = synthetic_survey.leakage()
    for label in ("glioma", "meningioma", "notumor", "pituitary"):
        row = report.row("Testing", label)
        assert (row.images, row.exact_copy_other_split, row.near_copy_other_split) == (4, 1, 1)
        assert row.clean == 2
    assert report.row("Training", "notumor").copy_within_split == 2
    assert report.exact_groups == 5 and report.groups == 9
    assert report.label_conflicts == ()
    assert "8 of 16 Testing images (50.0%) have a copy in Training" in report.to_text()
    assert json.loads(report.to_json())["groups"] == 9
    kinds = {example.kind for example in report.examples}
    assert kinds == {"exact", "near"}
    assert all(
        e.test.startswith("Testing/") and e.train.startswith("Training/") for e in report.examples
    )


def test_course_split_keeps_copies_together_and_cleans_the_test_set(synthetic_survey):
    splits = synthetic_survey.splits(val_fraction=0.25, seed=0)
    group_of = dict(
        zip(
            (r.relpath for r in synthetic_survey.index.records),
            synthetic_survey.duplicates.group_ids,
            strict=True,
        )
    )
    train_groups = {group_of[r.relpath] for r in splits.train}
    assert not train_groups & {group_of[r.relpath] for r in splits.val}
    assert {r.split for r in splits.train + splits.val} == {"Training"}
    assert len(splits.test) == 16 and {r.split for r in splits.test} == {"Testing"}
    leaked = {"Te-sy-gl_0000.png", "Te-sy-gl_0001.png"}
    clean_names = {r.relpath.split("/")[-1] for r in splits.clean_test}
    assert len(splits.clean_test) == 8 and not leaked & clean_names
    assert splits.counts()["val"] == {"glioma": 3, "meningioma": 3, "notumor": 3, "pituitary": 3}
    assert "clean_test" in splits.to_text()


def test_splits_are_deterministic_and_depend_on_the_seed(synthetic_survey):
    first = synthetic_survey.splits(val_fraction=0.25, seed=1)
    again = synthetic_survey.splits(val_fraction=0.25, seed=1)
    other = synthetic_survey.splits(val_fraction=0.25, seed=2)
    assert first == again
    assert first.val != other.val


def test_brief_split_halves_testing_which_is_the_course_test_set(synthetic_survey):
    records = synthetic_survey.usable_records
    groups = synthetic_survey.duplicates.group_ids[synthetic_survey.usable]
    brief = brief_splits(records, groups)
    assert len(brief.train) == 48 and len(brief.val) == len(brief.test) == 8
    assert {r.split for r in brief.val + brief.test} == {"Testing"}
    assert not set(brief.val) & set(brief.test)
    assert set(brief.clean_test) <= set(brief.test)
    course = course_splits(records, groups, val_fraction=0.25, seed=0)
    assert set(course.test) == set(brief.val) | set(brief.test)


def test_subset_names_are_checked(synthetic_survey):
    with pytest.raises(ValueError, match="subset must be one of"):
        synthetic_survey.splits(0.2, 0).subset("validation")


def test_survey_is_cached_and_the_cache_notices_changed_files(synthetic, tmp_path, monkeypatch):
    root = tmp_path / "data"
    shutil.copytree(synthetic.root, root)
    cache = tmp_path / "cache"
    first = survey_dataset(root, cache_dir=cache, progress=False)
    assert list((cache / "scans").glob("*.npz")) and list((cache / "duplicates").glob("*.npz"))

    def no_decoding(path):
        raise AssertionError("the cached scan should have been used")

    monkeypatch.setattr(scan_module, "scan_one", no_decoding)
    second = survey_dataset(root, cache_dir=cache, progress=False)
    assert np.array_equal(first.duplicates.group_ids, second.duplicates.group_ids)
    assert second.scan.fingerprint() == first.scan.fingerprint()

    touched = root / "Testing" / "glioma" / "Te-sy-gl_0003.png"
    os.utime(touched, ns=(1, 1))
    with pytest.raises(AssertionError, match="cached scan should have been used"):
        survey_dataset(root, cache_dir=cache, progress=False)


def test_a_corrupt_cache_file_is_rebuilt(synthetic, tmp_path):
    cache = tmp_path / "cache"
    survey_dataset(synthetic.root, cache_dir=cache, progress=False)
    for path in (cache / "scans").glob("*.npz"):
        path.write_bytes(b"garbage")
    survey = survey_dataset(synthetic.root, cache_dir=cache, progress=False)
    assert survey.verify().ok
