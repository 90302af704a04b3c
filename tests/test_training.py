"""Training runs: model card, atomic saves, reproducibility, recipes (fast profile)."""

import dataclasses
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import mri_course.training.run as run_module
from mri_course.config import PROFILES, load_settings
from mri_course.data.survey import survey_dataset
from mri_course.io import sha256_of_file
from mri_course.training import recipe_for, train
from mri_course.training.fit import distribution_strategy
from mri_course.training.save import (
    MODEL_HASH,
    StaleCardError,
    card_path,
    checked_card,
    history_path,
    load_card,
    save_trained_model,
)

TIMING_FIELDS = {
    "created",
    "wall_time_seconds",
    "seconds_per_epoch",
    "metrics",
    "best_epoch",
    "hardware",
    "epochs_run",
    "model_sha256",  # a .keras file records when it was saved
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


def _without(card, fields: set):
    """``card`` without ``fields`` at any depth (phases are a list of dicts)."""
    if isinstance(card, dict):
        return {k: _without(v, fields) for k, v in card.items() if k not in fields}
    if isinstance(card, list):
        return [_without(v, fields) for v in card]
    return card


def test_a_run_saves_the_model_its_card_and_history(settings, survey):
    result = train("cnn", settings, survey=survey, verbose=0, command="mri-course train cnn")
    assert result.path == settings.models_dir / "cnn_fast.keras"
    reloaded = keras.models.load_model(result.path)
    assert reloaded.count_params() == result.model.count_params()
    card = load_card(result.path)
    assert card == result.card and card["model_sha256"] == sha256_of_file(result.path)
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


def test_repeated_training_images_are_shown_more_often_and_counted(settings, survey):
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    first, second = splits.train[:2]
    repeats = {first.relpath: 3, second.relpath: 2, "Training/glioma/not-in-train.jpg": 5}
    listed = run_module.repeated(splits.train, repeats)
    assert len(listed) == len(splits.train) + 3
    assert listed.count(first) == 3 and listed.count(second) == 2
    card = train("cnn", settings, survey=survey, verbose=0, train_repeats=repeats).card
    assert card["training"]["recipe"]["repeated_train_images"] == 3
    counts = card["data"]["split"]["counts"]["train"]
    assert sum(counts.values()) == len(splits.train), "the card counts distinct images"


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


def _tiny_model(seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])


def test_a_card_records_the_hash_of_the_model_file_it_describes(tmp_path):
    path = save_trained_model(_tiny_model(0), {"v": 1, MODEL_HASH: "old"}, {}, tmp_path / "m.keras")
    card = load_card(path)
    assert card[MODEL_HASH] == sha256_of_file(path), "the hash of the file as saved, replaced"
    assert checked_card(path) == (card, "")


@pytest.mark.parametrize("killed_before", ["history", "card"])
def test_a_run_killed_between_the_renames_leaves_a_card_that_is_refused(
    tmp_path, monkeypatch, killed_before
):
    path = save_trained_model(_tiny_model(0), {"v": 1}, {"loss": [1.0]}, tmp_path / "m.keras")
    real_replace = os.replace
    stop_at = {"history": history_path(path), "card": card_path(path)}[killed_before]

    def killed_at_the_rename_of(source, target):
        if os.fspath(target) == os.fspath(stop_at):
            raise KeyboardInterrupt("killed between the renames")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", killed_at_the_rename_of)
    with pytest.raises(KeyboardInterrupt):
        save_trained_model(_tiny_model(1), {"v": 2}, {"loss": [0.5]}, path)
    monkeypatch.undo()
    assert json.loads(card_path(path).read_text())["v"] == 1, "the new model, the old card"
    card, note = checked_card(path, retrain="mri-course train cnn --name m")
    assert card is None
    assert "m.card.json describes another version of m.keras" in note
    assert "`mri-course train cnn --name m`" in note and "interrupted" in note
    with pytest.raises(StaleCardError, match="describes another version of m.keras"):
        load_card(path)


def test_a_card_from_before_the_hash_is_used_but_said_to_be_unchecked(tmp_path):
    path = save_trained_model(_tiny_model(0), {"v": 1}, {}, tmp_path / "m.keras")
    old = {key: value for key, value in load_card(path).items() if key != MODEL_HASH}
    card_path(path).write_text(json.dumps(old))
    card, note = checked_card(path)
    assert card == old and "cannot be checked against m.keras" in note
    assert load_card(path) == old
    path.unlink()
    assert checked_card(path) == (None, "no m.keras, so no card to check against it")
    with pytest.raises(FileNotFoundError, match="no model"):
        load_card(path)


def test_transfer_learning_runs_both_phases(settings, survey):
    result = train("xception", settings, survey=survey, verbose=0)
    phases = result.history["phase"]
    assert phases[0] == "head on frozen features" and phases[-1].startswith("fine-tune top 2")
    assert result.model.get_layer("block14_sepconv2_act") is not None
    assert load_card(result.path)["training"]["recipe"]["fine_tune_blocks"] == 2


def test_features_are_cached_and_the_head_is_copied(tmp_path, survey, monkeypatch):
    reference = keras.applications.Xception(
        include_top=False, weights=None, input_shape=(72, 72, 3)
    )
    weights = tmp_path / "xception_notop.weights.h5"
    reference.save_weights(weights)
    settings = load_settings(
        {
            "MRI_COURSE_PROFILE": "fast",
            "MRI_COURSE_MODELS": str(tmp_path / "models"),
            "MRI_COURSE_CACHE": str(tmp_path / "cache"),
            "MRI_COURSE_XCEPTION_WEIGHTS": str(weights),
        }
    )
    recipe = dataclasses.replace(recipe_for("xception", settings.profile), fine_tune_epochs=0)
    first = train("xception", settings, survey=survey, verbose=0, recipe=recipe)
    assert first.card["weights"] == str(weights.resolve())
    assert len(list((tmp_path / "cache" / "features").glob("*.npz"))) == 2  # train and val
    assert [p["phase"] for p in first.card["training"]["phases"]] == ["head on frozen features"]

    def no_predict(*args, **kwargs):
        raise AssertionError("cached features should have been used")

    monkeypatch.setattr(keras.Model, "predict", no_predict)
    second = train("xception", settings, survey=survey, verbose=0, recipe=recipe, name="again")
    # The full model scores the plain validation images exactly as the head scored their
    # cached features at its best epoch: the trained head was copied into it.
    for result in (first, second):
        best = min(result.history["val_loss"])
        assert result.card["metrics"]["val"]["loss"] == pytest.approx(best, abs=1e-3)


def test_the_full_recipe_trains_every_layer_in_one_phase(settings, survey):
    recipe = dataclasses.replace(
        recipe_for("xception", settings.profile),
        head_epochs=0,
        epochs=1,
        fine_tune_blocks=14,
        train_every_layer=True,
    )
    result = train("xception", settings, survey=survey, verbose=0, recipe=recipe)
    assert result.history["phase"] == ["fine-tune every layer"]
    assert all(layer.trainable for layer in result.model.layers)
    norms = [
        layer for layer in result.model.layers if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms and all(layer.trainable for layer in norms)


def test_fine_tuning_that_does_not_help_is_undone(settings, survey, monkeypatch):
    real_fit = run_module.fit
    calls = []

    def fit_then_spoil(model, *args, **kwargs):
        history, seconds = real_fit(model, *args, **kwargs)
        calls.append(model.name)
        if model.name == "xception_transfer":  # phase 2: make it worse than the head alone
            model.get_layer("probabilities").set_weights(
                [w * 0 + 5 for w in model.get_layer("probabilities").get_weights()]
            )
            history = {**history, "val_loss": [99.0] * len(history["val_loss"])}
        return history, seconds

    monkeypatch.setattr(run_module, "fit", fit_then_spoil)
    result = train("xception", settings, survey=survey, verbose=0)
    assert calls == ["head", "xception_transfer"]
    weights = result.model.get_layer("probabilities").get_weights()[0]
    assert not np.allclose(weights, 5)
    assert "kept the head-only weights" in result.card["training"]["phases"][-1]["note"]


def test_several_replicas_train_under_a_mirrored_strategy(tmp_path):
    script = f"""
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from mri_course.config import load_settings
from mri_course.training import train
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
settings = load_settings({{"MRI_COURSE_PROFILE": "fast", "MRI_COURSE_CACHE": r"{tmp_path}",
                          "MRI_COURSE_MODELS": r"{tmp_path / "models"}"}})
result = train("xception", settings, strategy=strategy, verbose=0)
print("replicas", strategy.num_replicas_in_sync, result.card["metrics"]["val"]["images"])
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "replicas 2 16" in done.stdout


def test_recipes():
    full = recipe_for("xception", PROFILES["full"])
    assert (full.image_size, full.epochs, full.optimizer, full.learning_rate) == (
        299,
        5,
        "adamax",
        1e-3,
    )
    assert full.train_every_layer and full.head_epochs == 0  # every layer, the brief's way
    cpu = recipe_for("xception", PROFILES["cpu"])
    assert cpu.head_epochs > 0 and 0 < cpu.fine_tune_blocks < 14
    assert recipe_for("brief_cnn", PROFILES["cpu"]).image_size == 224
    with pytest.raises(ValueError, match="model kind must be one of"):
        recipe_for("resnet", PROFILES["cpu"])
    longer = recipe_for("cnn", PROFILES["cpu"]).with_epochs(80)
    assert (longer.epochs, longer.patience) == (80, 80)  # a cosine schedule runs to its end
    assert cpu.with_epochs(5).fine_tune_epochs == 5 and cpu.with_epochs(5).head_epochs == 20
    assert full.with_epochs(9).epochs == 9


def test_several_gpus_mean_a_mirrored_strategy():
    assert isinstance(distribution_strategy(gpus=["gpu0", "gpu1"]), tf.distribute.MirroredStrategy)
    assert not isinstance(distribution_strategy(gpus=[]), tf.distribute.MirroredStrategy)
