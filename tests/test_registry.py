"""The registry of trained models: what exists, what is missing and how to make it."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from mri_course.config import load_settings
from mri_course.data.survey import survey_dataset
from mri_course.io import sha256_of_file
from mri_course.models.shipped import SHIPPED_CNN, shipped_card
from mri_course.training.registry import course_models, lesson_cnn, model_entry
from mri_course.training.save import MODEL_HASH, card_path

APP_LOADERS = Path(__file__).resolve().parent.parent / "app" / "loaders.py"


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


def test_the_shipped_card_describes_the_shipped_model_file(settings):
    shipped = model_entry(settings, "shipped_cnn")
    assert shipped_card()[MODEL_HASH] == sha256_of_file(SHIPPED_CNN)
    assert shipped.card_note() == "" and shipped.card() == shipped_card()


def _app_loaders():
    """``app/loaders.py`` as a module of its own (the app runs it as a script's neighbour)."""
    spec = importlib.util.spec_from_file_location("app_loaders_under_test", APP_LOADERS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_model_replaced_under_its_card_loads_without_the_card(settings, synthetic):
    survey = survey_dataset(synthetic.root, progress=False)
    trained = lesson_cnn(settings, survey)  # trains cnn_fast.keras, with its card
    entry = model_entry(settings, "cnn")
    assert entry.card() == trained.card and entry.card_note() == ""
    # A run killed between the model's rename and the card's: another model, the old card.
    model = trained.model
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.save(entry.path)
    assert card_path(entry.path).is_file()

    assert entry.card() is None
    assert "cnn_fast.card.json describes another version of cnn_fast.keras" in entry.card_note()
    assert f"`{entry.how_to_get}`" in entry.card_note()
    again = lesson_cnn(settings, survey)
    assert again.card is None and "describes another version" in again.where
    loaded = _app_loaders().load_model(str(entry.path), entry.path.stat().st_mtime)
    assert loaded.card is None and loaded.uncertainty is None
    assert "describes another version" in loaded.card_note
    probabilities, _ = loaded.compiled.predict(np.zeros((1, 64, 64, 3), np.float32))
    assert probabilities.shape == (1, 4), "the model itself still works"
