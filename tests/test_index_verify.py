"""Indexing and verification: every problem is listed by name, nothing is dropped silently."""

import shutil

import pytest

from mri_course.data.index import count_images_per_class, index_dataset
from mri_course.data.release import CLASS_NAMES, RELEASE_COUNTS
from mri_course.data.scan import scan_images
from mri_course.data.survey import expected_counts_for, survey_dataset
from mri_course.data.verify import verify_dataset


@pytest.fixture
def broken(synthetic, tmp_path):
    """A copy of the synthetic set with the kinds of damage a download can have."""
    root = tmp_path / "broken"
    shutil.copytree(synthetic.root, root)
    shutil.rmtree(root / "Testing" / "pituitary")  # a missing class folder
    (root / "Training" / "glioma" / "README.txt").write_text("not a scan")  # a text file
    (root / "Training" / "glioma" / "empty.jpg").write_bytes(b"")  # an empty image
    jpeg = next((root / "Training" / "meningioma").glob("*.png")).read_bytes()
    (root / "Training" / "meningioma" / "cut.png").write_bytes(jpeg[: len(jpeg) // 3])
    (root / "Training" / "other").mkdir()  # a folder that is no class
    return root


def test_index_lists_records_sorted_with_split_and_label(synthetic):
    index = index_dataset(synthetic.root)
    assert len(index.records) == 4 * (12 + 4)
    assert index.records[0].relpath == "Training/glioma/Tr-sy-gl_0000.png"  # splits, classes,
    names = [r.relpath for r in index.records if r.split == "Testing" and r.label == "notumor"]
    assert names == sorted(names)  # then file names, in the same order on every machine
    record = index.in_split("Testing")[0]
    assert record.split == "Testing" and record.label == "glioma"
    assert record.path.is_file() and record.label_index == 0
    assert index.counts() == synthetic.counts
    assert index.problems == ()


def test_count_images_per_class_keeps_empty_classes(synthetic):
    index = index_dataset(synthetic.root)
    glioma_only = [r for r in index.records if r.label == "glioma"]
    assert count_images_per_class(glioma_only) == {
        "glioma": 16,
        "meningioma": 0,
        "notumor": 0,
        "pituitary": 0,
    }


def test_index_reports_missing_folders_and_stray_files(broken):
    index = index_dataset(broken)
    problems = [str(p) for p in index.problems]
    assert "Testing/pituitary/: missing class folder" in problems
    assert "Training/glioma/README.txt: not an image file: ignored" in problems
    assert "Training/other/: not one of the four classes: ignored" in problems
    assert not any(r.relpath.endswith("README.txt") for r in index.records)


def test_verify_lists_every_problem_by_name(broken):
    index = index_dataset(broken)
    report = verify_dataset(
        index, scan_images(index.records, progress=False), expected_counts_for(broken)
    )
    assert not report.ok
    text = [str(p) for p in report.problems]
    assert "Testing/pituitary/: 0 images, the release has 4" in text
    assert "Training/glioma/: 13 images, the release has 12" in text
    assert any(t.startswith("Training/glioma/empty.jpg: empty file") for t in text)
    assert any(t.startswith("Training/meningioma/cut.png: broken or truncated") for t in text)
    assert "problem(s):" in report.to_text()


def test_verify_passes_a_clean_set_and_notes_a_png_named_jpg(synthetic_survey):
    report = synthetic_survey.verify()
    assert report.ok, report.to_text()
    assert report.formats == {"PNG": 64}
    assert any("Tr-sy-no_0001.jpg is PNG" in note for note in report.notes)
    assert "OK: every file decodes" in report.to_text()


def test_undecodable_images_never_reach_a_split(broken):
    survey = survey_dataset(broken, progress=False)
    splits = survey.splits(val_fraction=0.25, seed=0)
    in_splits = {r.relpath for name in ("train", "val", "test") for r in splits.subset(name)}
    assert "Training/glioma/empty.jpg" not in in_splits
    assert "Training/meningioma/cut.png" not in in_splits
    assert len(in_splits) == len(survey.index.records) - 2


def test_expected_counts_are_the_release_for_a_real_folder(tmp_path):
    assert expected_counts_for(tmp_path) == RELEASE_COUNTS
    assert list(RELEASE_COUNTS["Training"]) == list(CLASS_NAMES)


def test_index_of_a_missing_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        index_dataset(tmp_path / "nowhere")
