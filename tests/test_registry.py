"""The registry of trained models: what exists, what is missing and how to make it."""

import pytest

from mri_course.config import load_settings
from mri_course.data.survey import survey_dataset
from mri_course.models.shipped import SHIPPED_CNN
from mri_course.training.registry import course_models, lesson_cnn, model_entry


@pytest.fixture
def settings(tmp_path):
    return load_settings(
        {
            "MRI_COURSE_PROFILE": "fast",
            "MRI_COURSE_MODELS": str(tmp_path / "models"),
            "MRI_COURSE_CACHE": str(tmp_path / "cache"),
        }
    )


def test_the_course_knows_three_models_and_how_to_make_each(settings):
    entries = course_models(settings)
    assert [e.key for e in entries] == ["shipped_cnn", "cnn", "xception"]
    assert entries[0].path == SHIPPED_CNN
    assert entries[1].path == settings.models_dir / "cnn_fast.keras"
    assert entries[2].how_to_get == "mri-course train xception --profile fast"
    with pytest.raises(KeyError, match="known: shipped_cnn, cnn, xception"):
        model_entry(settings, "resnet")


def test_a_missing_model_says_which_command_trains_it(settings):
    xception = model_entry(settings, "xception")
    assert not xception.available and xception.card() is None and xception.history() is None
    with pytest.raises(FileNotFoundError, match="mri-course train xception --profile fast"):
        xception.load()


def test_the_fast_lesson_cnn_is_trained_once_then_reused(settings, synthetic):
    survey = survey_dataset(synthetic.root, progress=False)
    first = lesson_cnn(settings, survey)
    assert "trained just now" in first.where
    assert first.card["profile"] == "fast" and len(first.history["val_loss"]) == 2
    again = lesson_cnn(settings, survey)
    assert "your CNN from lesson 03" in again.where
    assert again.card["created"] == first.card["created"]
    assert again.model.count_params() == first.model.count_params()
