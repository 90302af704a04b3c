"""A whole training run: data, split, model, fit, one scoring of the test sets, save.

``train("cnn", settings)`` is what ``mri-course train cnn`` and the lessons call. The test
sets are scored once, at the end, with the final model; every choice before that is made
on the validation set.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import keras
import tensorflow as tf

from mri_course.config import Settings
from mri_course.data.augment import make_augmentation
from mri_course.data.index import ImageRecord
from mri_course.data.locate import dataset_root
from mri_course.data.pipeline import make_dataset
from mri_course.data.splits import Splits
from mri_course.data.survey import DatasetSurvey, survey_dataset
from mri_course.io import check_writable_folder
from mri_course.models.cnn import build_brief_cnn, build_compact_cnn
from mri_course.models.compile import compile_settings
from mri_course.models.transfer import (
    build_transfer_model,
    classification_head,
    unfreeze_top_blocks,
    xception_weights_for,
)
from mri_course.training import card as cards
from mri_course.training.features import extract_features, weights_identity
from mri_course.training.fit import distribution_strategy, fit
from mri_course.training.leftovers import checkpoint_path, remove_leftovers
from mri_course.training.recipes import Recipe, recipe_for
from mri_course.training.save import load_card, save_trained_model

EVALUATED_SUBSETS = ("val", "test", "clean_test")


@dataclass(frozen=True)
class TrainedModel:
    model: keras.Model
    path: Path
    card: dict
    history: dict


@dataclass(frozen=True)
class Phase:
    """One stage of a run (Xception has two: the head alone, then fine-tuning)."""

    name: str
    history: dict
    seconds: list[float]
    note: str = ""


def evaluate(
    model: keras.Model, records: tuple[ImageRecord, ...], image_size: int, batch_size: int
) -> dict:
    """Loss, accuracy, precision and recall of ``model`` on ``records`` (plain images)."""
    if not records:
        return {"images": 0}
    dataset = make_dataset(records, image_size, batch_size, training=False, seed=0, cache=False)
    scores = model.evaluate(dataset, verbose=0, return_dict=True)
    return {"images": len(records), **{k: round(float(v), 5) for k, v in scores.items()}}


def _compile(model: keras.Model, recipe: Recipe, steps: int, learning_rate: float) -> None:
    """The brief's loss and metrics, with the recipe's optimizer and label smoothing."""
    settings = compile_settings(learning_rate)
    if recipe.optimizer == "adam":
        if steps <= 0:
            raise ValueError("a cosine schedule needs the number of training steps")
        schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
        settings["optimizer"] = keras.optimizers.Adam(schedule)
    settings["loss"] = keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)
    model.compile(**settings)


def _steps(recipe: Recipe, splits: Splits, epochs: int) -> int:
    return epochs * math.ceil(len(splits.train) / recipe.batch_size)


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


def repeated(records: tuple[ImageRecord, ...], repeats: Mapping[str, int]):
    """``records`` with each one listed ``repeats[relpath]`` times (default once): an epoch
    then shows those images more often, as a sampler with weights would, while the pipeline
    still shuffles, caches and augments each copy on its own."""
    return tuple(r for r in records for _ in range(repeats.get(r.relpath, 1)))


def _merge(phases: list[Phase]) -> dict:
    """One history from several training phases, with the phase of each epoch."""
    keys = sorted({key for phase in phases for key in phase.history})
    merged: dict[str, list] = {"phase": [], **{key: [] for key in keys}}
    for phase in phases:
        epochs = len(next(iter(phase.history.values()), []))
        merged["phase"] += [phase.name] * epochs
        for key in keys:
            merged[key] += phase.history.get(key, [None] * epochs)
    return merged


def _train_cnn(recipe, splits, settings, checkpoint, verbose, strategy):
    with strategy.scope():
        if recipe.kind == "cnn":
            model = build_compact_cnn(recipe.image_size, head_crop=recipe.head_crop)
        else:
            model = build_brief_cnn(recipe.image_size)
        _compile(model, recipe, _steps(recipe, splits, recipe.epochs), recipe.learning_rate)
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
    return model, [Phase("train", history, seconds)]


def _train_head_on_features(model, recipe, splits, settings, weights, verbose, strategy):
    """Phase 1: the frozen base's features, computed once, train the head alone."""
    features_model = keras.Model(model.input, model.get_layer("head_flatten").input)
    weights_id = weights_identity(weights)
    inputs = {
        subset: extract_features(
            features_model,
            splits.subset(subset),
            recipe.batch_size,
            settings.cache_dir,
            weights_id,
            verbose,
        )
        for subset in ("train", "val")
    }
    with strategy.scope():
        head_input = keras.Input(inputs["train"][0].shape[1:], name="features")
        head = keras.Model(head_input, classification_head(head_input), name="head")
        _compile(head, recipe, _steps(recipe, splits, recipe.head_epochs), recipe.learning_rate)
    history, seconds = fit(
        head,
        inputs["train"],
        inputs["val"],
        recipe.head_epochs,
        recipe.patience,
        reduce_on_plateau=True,
        verbose=verbose,
    )
    for layer in head.layers:
        if layer.weights:
            model.get_layer(layer.name).set_weights(layer.get_weights())
    return Phase("head on frozen features", history, seconds)


def _train_xception(recipe, splits, settings, checkpoint, verbose, strategy):
    weights = xception_weights_for(settings)
    with strategy.scope():
        model = build_transfer_model(recipe.image_size, weights)
    phases = []
    if recipe.head_epochs:
        phases.append(
            _train_head_on_features(model, recipe, splits, settings, weights, verbose, strategy)
        )
    epochs = recipe.fine_tune_epochs if recipe.head_epochs else recipe.epochs
    if recipe.fine_tune_blocks and epochs:
        # Phase 2, fine-tuning: the top blocks (or every layer) learn too.
        if recipe.train_every_layer:
            for layer in model.layers:
                layer.trainable = True
        else:
            unfreeze_top_blocks(model, recipe.fine_tune_blocks)
        rate = recipe.fine_tune_learning_rate if recipe.head_epochs else recipe.learning_rate
        with strategy.scope():
            _compile(model, recipe, _steps(recipe, splits, epochs), rate)
        before = model.get_weights()
        train, val = _datasets(recipe, splits, settings.seed)
        history, seconds = fit(
            model,
            train,
            val,
            epochs,
            recipe.patience,
            checkpoint,
            reduce_on_plateau=True,
            verbose=verbose,
        )
        name = (
            "every layer" if recipe.train_every_layer else f"top {recipe.fine_tune_blocks} blocks"
        )
        note = ""
        if phases and min(history["val_loss"]) > min(phases[0].history["val_loss"]):
            model.set_weights(before)
            note = "fine-tuning did not lower the validation loss: kept the head-only weights"
        phases.append(Phase(f"fine-tune {name}", history, seconds, note))
    else:
        with strategy.scope():  # evaluate() needs a compiled model
            _compile(model, recipe, _steps(recipe, splits, 1), recipe.learning_rate)
    return model, phases


def _weights_description(kind: str, settings: Settings) -> str | None:
    if kind != "xception":
        return None
    weights = xception_weights_for(settings)
    return "random (fast profile)" if weights is None else str(weights)


def _clean_up_after_interrupted_runs(models_dir: Path, name: str) -> None:
    """Remove what killed runs left; one line says what, even with ``verbose=0``: files
    are deleted, and their owner should hear of it (each path is logged, at INFO)."""
    summary = remove_leftovers(models_dir, name).summary(models_dir, name)
    if summary:
        print(summary)


def train(
    kind: str,
    settings: Settings,
    epochs: int | None = None,
    name: str | None = None,
    survey: DatasetSurvey | None = None,
    command: str | None = None,
    verbose: int = 1,
    recipe: Recipe | None = None,
    strategy: tf.distribute.Strategy | None = None,
    train_repeats: Mapping[str, int] | None = None,
) -> TrainedModel:
    """Train model ``kind`` ("cnn", "brief_cnn", "xception") as the profile's recipe says.

    Saves ``<models_dir>/<name>.keras`` with its model card and history (default name:
    ``<kind>_<profile>``) only when the run has finished; a run that fails leaves any
    earlier model of that name as it was, and its best checkpoint so far in
    ``<models_dir>/checkpoints/``. The next run of the same name removes that checkpoint
    and the temporary files of interrupted saves, and says how much it freed (the policy:
    :mod:`mri_course.training.leftovers`). ``recipe`` and ``strategy`` override the
    profile's recipe and the automatic choice of ``tf.distribute`` strategy.
    ``train_repeats`` (relpath -> times per epoch, e.g.
    :func:`mri_course.audit.planes.plane_balancing_repeats`) shows some training images
    more often; the card records how many.
    """
    recipe = recipe or recipe_for(kind, settings.profile)
    if epochs is not None:
        recipe = recipe.with_epochs(epochs)
    name = name or f"{kind}_{settings.profile.name}"
    check_writable_folder(settings.models_dir, "trained model")
    _clean_up_after_interrupted_runs(settings.models_dir, name)
    strategy = strategy or distribution_strategy()
    if survey is None:
        survey = survey_dataset(dataset_root(settings), settings.cache_dir, progress=verbose > 0)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    keras.utils.set_random_seed(settings.seed)
    checkpoint = checkpoint_path(settings.models_dir, name)

    started = time.perf_counter()
    trainer = _train_xception if kind == "xception" else _train_cnn
    fit_splits = splits
    if train_repeats:
        fit_splits = replace(splits, train=repeated(splits.train, train_repeats))
    model, phases = trainer(recipe, fit_splits, settings, checkpoint, verbose, strategy)
    wall = time.perf_counter() - started

    metrics = {
        subset: evaluate(model, splits.subset(subset), recipe.image_size, recipe.batch_size)
        for subset in EVALUATED_SUBSETS
    }
    history = _merge(phases)
    card = cards.model_card(
        name=name,
        model=model,
        recipe={
            **recipe.to_dict(),
            "repeated_train_images": len(fit_splits.train) - len(splits.train),
        },
        settings=settings,
        survey=survey,
        splits=splits,
        phases=[cards.phase_summary(p.name, p.history, p.seconds, p.note) for p in phases],
        wall_seconds=wall,
        metrics=metrics,
        command=command,
        weights=_weights_description(kind, settings),
    )
    path = save_trained_model(model, card, history, settings.models_dir / f"{name}.keras")
    checkpoint.unlink(missing_ok=True)  # the saved model supersedes the crash insurance
    card = load_card(path)  # as saved: with the hash of the model file
    return TrainedModel(model=model, path=path, card=card, history=history)
