"""Finding the dataset: a path, the setting, or kagglehub; offline, a message that helps."""

import shutil

import pytest

from mri_course.config import load_settings
from mri_course.data.locate import DatasetNotFoundError, dataset_root, locate_dataset


def _offline(handle: str) -> str:
    raise ConnectionError(f"Failed to resolve 'www.kaggle.com' while fetching {handle}")


def test_an_explicit_path_wins(synthetic):
    assert locate_dataset(synthetic.root, download=_offline) == synthetic.root


def test_the_data_setting_is_used(synthetic):
    settings = load_settings({"MRI_COURSE_DATA": str(synthetic.root)})
    assert locate_dataset(settings=settings, download=_offline) == synthetic.root.resolve()


def test_one_extra_folder_level_is_looked_through(synthetic, tmp_path):
    shutil.copytree(synthetic.root, tmp_path / "archive" / "brain-tumor-mri")
    assert locate_dataset(tmp_path / "archive", download=_offline).name == "brain-tumor-mri"


def test_kagglehub_is_asked_when_nothing_is_set(synthetic):
    asked = []

    def download(handle: str) -> str:
        asked.append(handle)
        return str(synthetic.root)

    assert locate_dataset(settings=load_settings({}), download=download) == synthetic.root
    assert asked == ["masoudnickparvar/brain-tumor-mri-dataset"]


def test_offline_fails_fast_naming_the_setting_and_the_fast_profile():
    with pytest.raises(DatasetNotFoundError) as failure:
        locate_dataset(settings=load_settings({}), download=_offline)
    message = str(failure.value)
    assert "Could not download masoudnickparvar/brain-tumor-mri-dataset" in message
    assert "ConnectionError" in message
    assert "MRI_COURSE_DATA" in message and "MRI_COURSE_PROFILE=fast" in message


def test_a_wrong_folder_is_named(tmp_path):
    settings = load_settings({"MRI_COURSE_DATA": str(tmp_path)})
    with pytest.raises(DatasetNotFoundError, match="has no Training/ and Testing/"):
        locate_dataset(settings=settings, download=_offline)
    settings = load_settings({"MRI_COURSE_DATA": str(tmp_path / "missing")})
    with pytest.raises(DatasetNotFoundError, match="MRI_COURSE_DATA .* is not a folder"):
        locate_dataset(settings=settings, download=_offline)


def test_fast_profile_makes_synthetic_data_in_the_cache(tmp_path):
    settings = load_settings({"MRI_COURSE_PROFILE": "fast", "MRI_COURSE_CACHE": str(tmp_path)})
    root = dataset_root(settings)
    assert root.parent == tmp_path.resolve()
    assert (root / "Training" / "glioma").is_dir() and (root / "synthetic.json").is_file()
