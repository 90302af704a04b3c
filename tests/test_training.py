"""Training runs: model card, atomic saves, reproducibility, recipes (fast profile)."""

import json

import keras
import pytest
import tensorflow as tf

import mri_course.training.run as run_module
from mri_course.config import PROFILES, load_settings
from mri_course.data.survey import survey_dataset
from mri_course.training import recipe_for, train
from mri_course.training.fit import distribution_strategy
from mri_course.training.save import card_path, history_path, load_card, save_trained_model

TIMING_FIELDS = {
    "created",
    "wall_time_seconds",
    "seconds_per_epoch",
    "metrics",
    "best_epoch",
    "hardware",
    "epochs_run",
}


@pytest.fixture
def settings(tmp_path, synthetic):
    return load_settings(
        {
            "MRI_COURSE_PROFILE": "fast",
            "MRI_COURSE_MODELS": str(tmp_path / "models"),
            "MRI_COURSE_CACHE": str(tmp_path / "cache"),
        }
    )


@pytest.fixture
def survey(synthetic):
    return survey_dataset(synthetic.root, progress=False)


def _without(card: dict, fields: set) -> dict:
    if isinstance(card, dict):
        return {k: _without(v, fields) for k, v in card.items() if k not in fields}
    return card


def test_a_run_saves_the_model_its_card_and_history(settings, survey):
    result = train("cnn", settings, survey=survey, verbose=0, command="mri-course train cnn")
    assert result.path == settings.models_dir / "cnn_fast.keras"
    reloaded = keras.models.load_model(result.path)
    assert reloaded.count_params() == result.model.count_params()
    card = load_card(result.path)
    assert card["data"]["fingerprint"] == survey.scan.fingerprint()
    assert card["data"]["split"]["counts"]["test"]["glioma"] == 4
    assert card["profile"] == "fast" and card["image_size"] == 64
    assert set(card["metrics"]) == {"val", "test", "clean_test"}
    assert card["metrics"]["clean_test"]["images"] == 8
    assert 0 <= card["metrics"]["test"]["accuracy"] <= 1
    assert card["training"]["epochs_run"] == 2 and card["training"]["wall_time_seconds"] > 0
    assert card["training"]["command"] == "mri-course train cnn"
    assert card["hardware"]["cpu_cores"] >= 1
    history = json.loads(history_path(result.path).read_text())
    assert len(history["val_loss"]) == 2 and history["phase"] == ["train", "train"]
    assert not list((settings.models_dir / "checkpoints").glob("*.keras"))


def test_same_seed_and_profile_give_the_same_split_and_card(settings, survey, tmp_path):
    first = train("cnn", settings, survey=survey, verbose=0, name="one").card
    second = train("cnn", settings, survey=survey, verbose=0, name="two").card
    assert first["data"]["split"] == second["data"]["split"]
    assert _without(first, TIMING_FIELDS | {"name"}) == _without(second, TIMING_FIELDS | {"name"})
    other_seed = load_settings(
        {
            "MRI_COURSE_PROFILE": "fast",
            "MRI_COURSE_SEED": "7",
            "MRI_COURSE_MODELS": str(tmp_path / "other"),
        }
    )
    third = train("cnn", other_seed, survey=survey, verbose=0).card
    assert (
        third["data"]["split"]["membership"]["val"] != first["data"]["split"]["membership"]["val"]
    )


def test_a_failed_run_leaves_the_earlier_model_untouched(settings, survey, monkeypatch):
    good = train("cnn", settings, survey=survey, verbose=0)
    before = {p.name: p.read_bytes() for p in settings.models_dir.iterdir() if p.is_file()}

    def crash(*args, **kwargs):
        raise RuntimeError("power cut in epoch 3")

    monkeypatch.setattr(run_module, "fit", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        train("cnn", settings, survey=survey, verbose=0)
    after = {p.name: p.read_bytes() for p in settings.models_dir.iterdir() if p.is_file()}
    assert after == before
    assert keras.models.load_model(good.path) is not None


def test_a_save_that_fails_half_way_keeps_the_old_files(tmp_path):
    path = tmp_path / "model.keras"
    good = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    save_trained_model(good, {"v": 1}, {"loss": [1.0]}, path)
    before = (path.read_bytes(), card_path(path).read_text())

    class Unsavable(keras.Sequential):
        def save(self, *args, **kwargs):
            raise OSError("disk full")

    bad = Unsavable([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(OSError, match="disk full"):
        save_trained_model(bad, {"v": 2}, {"loss": [0.5]}, path)
    assert (path.read_bytes(), card_path(path).read_text()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model.card.json",
        "model.history.json",
        "model.keras",
    ]
    with pytest.raises(ValueError, match=r"\.keras files"):
        save_trained_model(good, {}, {}, tmp_path / "model.h5")


def test_transfer_learning_runs_both_phases(settings, survey):
    result = train("xception", settings, survey=survey, verbose=0)
    phases = result.history["phase"]
    assert phases[0] == "head on frozen features" and phases[-1].startswith("fine-tune top 2")
    assert result.model.get_layer("block14_sepconv2_act") is not None
    assert load_card(result.path)["training"]["recipe"]["fine_tune_blocks"] == 2


def test_recipes():
    full = recipe_for("xception", PROFILES["full"])
    assert (full.image_size, full.epochs, full.optimizer, full.learning_rate) == (
        299,
        5,
        "adamax",
        1e-3,
    )
    assert full.fine_tune_blocks == 14 and full.head_epochs == 0  # every layer, the brief's way
    cpu = recipe_for("xception", PROFILES["cpu"])
    assert cpu.head_epochs > 0 and 0 < cpu.fine_tune_blocks < 14
    assert recipe_for("brief_cnn", PROFILES["cpu"]).image_size == 224
    with pytest.raises(ValueError, match="model kind must be one of"):
        recipe_for("resnet", PROFILES["cpu"])


def test_several_gpus_mean_a_mirrored_strategy():
    assert isinstance(distribution_strategy(gpus=["gpu0", "gpu1"]), tf.distribute.MirroredStrategy)
    assert not isinstance(distribution_strategy(gpus=[]), tf.distribute.MirroredStrategy)
