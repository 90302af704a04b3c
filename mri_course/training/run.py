"""A whole training run: data, split, model, fit, one scoring of the test sets, save.

``train("cnn", settings)`` is what ``mri-course train cnn`` and the lessons call. The test
sets are scored once, at the end, with the final model; every choice before that is made
on the validation set.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import keras

from mri_course.config import Settings
from mri_course.data.augment import make_augmentation
from mri_course.data.index import ImageRecord
from mri_course.data.locate import dataset_root
from mri_course.data.pipeline import make_dataset
from mri_course.data.splits import Splits
from mri_course.data.survey import DatasetSurvey, survey_dataset
from mri_course.models.cnn import build_brief_cnn, build_compact_cnn
from mri_course.models.compile import compile_settings
from mri_course.models.transfer import (
    build_xception_features,
    classification_head,
    unfreeze_top_blocks,
    xception_weights_for,
)
from mri_course.training import card as cards
from mri_course.training.features import extract_features, weights_identity
from mri_course.training.fit import distribution_strategy, fit
from mri_course.training.recipes import Recipe, recipe_for
from mri_course.training.save import save_trained_model

EVALUATED_SUBSETS = ("val", "test", "clean_test")


@dataclass(frozen=True)
class TrainedModel:
    model: keras.Model
    path: Path
    card: dict
    history: dict


def evaluate(
    model: keras.Model, records: tuple[ImageRecord, ...], image_size: int, batch_size: int
) -> dict:
    """Loss, accuracy, precision and recall of ``model`` on ``records`` (plain images)."""
    if not records:
        return {"images": 0}
    dataset = make_dataset(records, image_size, batch_size, training=False, seed=0, cache=False)
    scores = model.evaluate(dataset, verbose=0, return_dict=True)
    return {"images": len(records), **{k: round(float(v), 5) for k, v in scores.items()}}


def _optimizer(recipe: Recipe, steps: int, learning_rate: float) -> keras.optimizers.Optimizer:
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps))
    return keras.optimizers.Adamax(learning_rate)


def _compile(model: keras.Model, recipe: Recipe, steps: int, learning_rate: float) -> None:
    settings = compile_settings(learning_rate)
    settings["optimizer"] = _optimizer(recipe, steps, learning_rate)
    settings["loss"] = keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)
    model.compile(**settings)


def _datasets(recipe: Recipe, splits: Splits, seed: int):
    augmentation = make_augmentation(seed, recipe.augmentation)
    train = make_dataset(
        splits.train,
        recipe.image_size,
        recipe.batch_size,
        training=True,
        seed=seed,
        augmentation=augmentation,
    )
    val = make_dataset(splits.val, recipe.image_size, recipe.batch_size, training=False, seed=seed)
    return train, val


def _merge(phases: list[tuple[str, dict]]) -> dict:
    """One history from several training phases, with the phase of each epoch."""
    keys = sorted({key for _, history in phases for key in history})
    merged: dict[str, list] = {"phase": [], **{key: [] for key in keys}}
    for phase, history in phases:
        epochs = len(next(iter(history.values()), []))
        merged["phase"] += [phase] * epochs
        for key in keys:
            merged[key] += history.get(key, [None] * epochs)
    return merged


def _train_cnn(
    recipe: Recipe, splits: Splits, settings: Settings, checkpoint: Path, verbose: int
) -> tuple[keras.Model, dict, list[float]]:
    with distribution_strategy().scope():
        if recipe.kind == "cnn":
            model = build_compact_cnn(recipe.image_size)
        else:
            model = build_brief_cnn(recipe.image_size)
        steps = recipe.epochs * math.ceil(len(splits.train) / recipe.batch_size)
        _compile(model, recipe, steps, recipe.learning_rate)
    train, val = _datasets(recipe, splits, settings.seed)
    history, seconds = fit(
        model,
        train,
        val,
        recipe.epochs,
        recipe.patience,
        checkpoint,
        reduce_on_plateau=recipe.optimizer != "adam",
        verbose=verbose,
    )
    return model, _merge([("train", history)]), seconds


def _train_xception(
    recipe: Recipe, splits: Splits, settings: Settings, checkpoint: Path, verbose: int
) -> tuple[keras.Model, dict, list[float]]:
    weights = xception_weights_for(settings)
    with distribution_strategy().scope():
        features_model = build_xception_features(recipe.image_size, weights)
        model = keras.Model(
            features_model.input,
            classification_head(features_model.output),
            name="xception_transfer",
        )
    phases: list[tuple[str, dict]] = []
    seconds: list[float] = []
    if recipe.head_epochs:
        # Phase 1, feature extraction: the frozen base's features, computed once.
        weights_id = weights_identity(weights)
        x_train, y_train = extract_features(
            features_model, splits.train, recipe.batch_size, settings.cache_dir, weights_id, verbose
        )
        x_val, y_val = extract_features(
            features_model, splits.val, recipe.batch_size, settings.cache_dir, weights_id, verbose
        )
        head_input = keras.Input(x_train.shape[1:], name="features")
        head = keras.Model(head_input, classification_head(head_input), name="head")
        _compile(head, recipe, 0, recipe.learning_rate)
        history, took = fit(
            head,
            (x_train, y_train),
            (x_val, y_val),
            recipe.head_epochs,
            recipe.patience,
            reduce_on_plateau=True,
            verbose=verbose,
        )
        for layer in head.layers:
            if layer.weights:
                model.get_layer(layer.name).set_weights(layer.get_weights())
        phases.append(("head on frozen features", history))
        seconds += took
    tuning = recipe.fine_tune_blocks and (recipe.fine_tune_epochs or recipe.epochs)
    if tuning:
        # Phase 2, fine-tuning: the top blocks learn too, with a smaller step.
        unfreeze_top_blocks(model, recipe.fine_tune_blocks)
        epochs = recipe.fine_tune_epochs or recipe.epochs
        rate = recipe.fine_tune_learning_rate if recipe.head_epochs else recipe.learning_rate
        _compile(model, recipe, 0, rate)
        train, val = _datasets(recipe, splits, settings.seed)
        history, took = fit(
            model,
            train,
            val,
            epochs,
            recipe.patience,
            checkpoint,
            reduce_on_plateau=True,
            verbose=verbose,
        )
        phases.append((f"fine-tune top {recipe.fine_tune_blocks} blocks", history))
        seconds += took
    return model, _merge(phases), seconds


def train(
    kind: str,
    settings: Settings,
    epochs: int | None = None,
    name: str | None = None,
    survey: DatasetSurvey | None = None,
    command: str | None = None,
    verbose: int = 1,
) -> TrainedModel:
    """Train model ``kind`` ("cnn", "brief_cnn", "xception") as the profile's recipe says.

    Saves ``<models_dir>/<name>.keras`` with its model card and history (default name:
    ``<kind>_<profile>``) only when the run has finished; a run that fails leaves any
    earlier model of that name as it was.
    """
    recipe = recipe_for(kind, settings.profile)
    if epochs is not None:
        recipe = recipe.with_epochs(epochs)
    name = name or f"{kind}_{settings.profile.name}"
    if survey is None:
        survey = survey_dataset(dataset_root(settings), settings.cache_dir, progress=verbose > 0)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    keras.utils.set_random_seed(settings.seed)
    checkpoint = settings.models_dir / "checkpoints" / f"{name}.best.keras"

    started = time.perf_counter()
    trainer = _train_xception if kind == "xception" else _train_cnn
    model, history, seconds = trainer(recipe, splits, settings, checkpoint, verbose)
    wall = time.perf_counter() - started

    metrics = {
        subset: evaluate(model, splits.subset(subset), recipe.image_size, recipe.batch_size)
        for subset in EVALUATED_SUBSETS
    }
    card = cards.model_card(
        name=name,
        model=model,
        recipe=recipe.to_dict(),
        settings=settings,
        survey=survey,
        splits=splits,
        history=history,
        epoch_seconds=seconds,
        wall_seconds=wall,
        metrics=metrics,
        command=command,
    )
    path = save_trained_model(model, card, history, settings.models_dir / f"{name}.keras")
    checkpoint.unlink(missing_ok=True)  # the saved model supersedes the crash insurance
    return TrainedModel(model=model, path=path, card=card, history=history)
