"""Measure whether a saliency method deserves trust, instead of asserting it.

:func:`sanity_check` (Adebayo et al., 2018): a map that explains the *model* must change when
the model's weights are destroyed; one that stays the same shows the image, not what the model
learnt. :func:`pointing_game` (Zhang et al., 2016): how often a map peaks inside the lesion,
against chance, on synthetic scans (only they have lesion masks), with a CNN that learnt them
(:func:`synthetic_lesion_cnn`: the ``fast`` profile's still guesses).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from scipy import ndimage, stats

from mri_course.config import Settings, project_root
from mri_course.data.decode import load_rgb
from mri_course.data.index import ImageRecord
from mri_course.data.locate import dataset_root
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.splits import Splits
from mri_course.data.survey import survey_dataset
from mri_course.data.synthetic import SyntheticDataset, load_synthetic_dataset
from mri_course.models.transfer import xception_block_of
from mri_course.saliency.maps import as_batch, resolve_classes, saliency_maps
from mri_course.saliency.mask import brain_mask
from mri_course.saliency.names import METHODS
from mri_course.training import train

TOP_BLOCKS = 2  # the sanity check randomises the head, then this many blocks from the top
# Pixels by which a lesion is widened: the maps are blurred and Grad-CAM's grid is coarse,
# so a peak on the rim counts (Zhang et al. allowed 15 px at 224 px; 2 px is stricter)
POINTING_TOLERANCE = 2
LESION_CNN_NAME = "cnn_synthetic_lesions"
LESION_EPOCHS = 15


def randomisation_stages(
    model: keras.Model, top_blocks: int = TOP_BLOCKS
) -> list[tuple[str, list[str]]]:
    """The sanity check's cascade, ``[(stage, layer names), ...]`` from the top: the dense
    head, then one block per stage (``block3``, ``block2`` of the compact CNN, ``block14``,
    ``block13`` of Xception); in a model without named blocks, each convolution is one."""
    head = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    convs = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    block_of = xception_block_of(model) or {name: name for name in convs}
    blocks: dict[str, list[str]] = {}
    for layer in model.layers:
        if layer.weights and layer.name in block_of:
            blocks.setdefault(block_of[layer.name], []).append(layer.name)
    return [("head", head), *list(blocks.items())[::-1][:top_blocks]]


def reinitialise(layer: keras.layers.Layer, seed: int) -> None:
    """Give a layer the weights a freshly built one would have: Glorot-uniform kernels,
    zero biases and shifts, unit scales and variances (a new batch norm changes nothing)."""
    for k, variable in enumerate(layer.weights):
        shape = tuple(variable.shape)
        if len(shape) >= 2:
            variable.assign(keras.initializers.GlorotUniform(seed=seed + k)(shape))
        else:
            ones = variable.name in ("gamma", "moving_variance")
            variable.assign(np.full(shape, 1.0 if ones else 0.0, dtype="float32"))


def trained_copy(model: keras.Model) -> keras.Model:
    """A copy of ``model`` with its own weights (same layer names), to damage freely."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


@dataclass(frozen=True)
class SanityCheck:
    """``correlations[k]``: the mean over the images of the rank correlation, over the brain,
    of the trained model's map with the map once stages ``0..k`` are randomised (1: the same,
    0: unrelated). ``per_image`` is ``[stage][image]``."""

    method: str
    stages: tuple[str, ...]
    correlations: tuple[float, ...]
    per_image: tuple[tuple[float, ...], ...]
    images: int


def rank_correlation(first: np.ndarray, second: np.ndarray, mask: np.ndarray) -> float:
    """Spearman's rank correlation of two maps over the pixels of ``mask`` (nan if constant)."""
    a, b = first[mask], second[mask]
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)


def sanity_check(
    model: keras.Model, images: np.ndarray, method: str, top_blocks: int = TOP_BLOCKS, seed: int = 0
) -> SanityCheck:
    """The cascading randomisation test of ``method`` on ``images``, on a copy of ``model``.
    Every stage explains the trained model's predictions, so only the weights change; maps
    are compared raw, over the method's brain mask."""
    batch = as_batch(images)
    classes = resolve_classes(model, batch)
    before = saliency_maps(model, batch, method, classes)
    damaged = trained_copy(model)
    stages, per_image = randomisation_stages(model, top_blocks), []
    for k, (_, layer_names) in enumerate(stages):
        for j, name in enumerate(layer_names):
            reinitialise(damaged.get_layer(name), seed=seed + 1000 * k + 10 * j)
        after = saliency_maps(damaged, batch, method, classes)
        scores = zip(before, after, strict=True)
        per_image.append(tuple(rank_correlation(b.raw, a.raw, b.mask) for b, a in scores))
    means = [float(np.nanmean(s)) if np.isfinite(s).any() else np.nan for s in per_image]
    names = tuple(stage for stage, _ in stages)
    return SanityCheck(method, names, tuple(means), tuple(per_image), len(batch))


@dataclass(frozen=True)
class PointingGame:
    """How often a method's map peaks inside the lesion (``hit_rate``), against ``chance``,
    the mean share of the brain covered by the widened lesion."""

    method: str
    hits: tuple[bool, ...]  # one per image
    hit_rate: float
    chance: float
    tolerance_px: int
    images: int


def pointing_game(
    model: keras.Model,
    images: np.ndarray,
    masks: Sequence[np.ndarray],
    method: str,
    class_indices: int | Sequence[int] | None = None,
    tolerance_px: int = POINTING_TOLERANCE,
) -> PointingGame:
    """How often the drawn map of ``images`` peaks inside the lesion ``masks``, widened by
    ``tolerance_px``. ``class_indices`` None explains the predicted class; the true labels ask
    "where is the evidence for the right answer?"."""
    batch = as_batch(images)
    masks = [np.asarray(mask, dtype=bool) for mask in masks]
    if len(masks) != len(batch) or any(m.shape != batch.shape[1:3] or not m.any() for m in masks):
        raise ValueError(
            "one lesion mask per image, at its size and not empty: a scan without a lesion has "
            "nothing to point at, leave it out"
        )
    maps = saliency_maps(model, batch, method, class_indices)
    hits, chances = [], []
    for image, mask, saliency in zip(batch, masks, maps, strict=True):
        target = ndimage.binary_dilation(mask, iterations=tolerance_px) if tolerance_px else mask
        hits.append(bool(target[np.unravel_index(np.argmax(saliency.display), mask.shape)]))
        brain = brain_mask(image)
        chances.append((target & brain).sum() / max(1, brain.sum()))
    hit_rate, chance = float(np.mean(hits)), float(np.mean(chances))
    return PointingGame(method, tuple(hits), hit_rate, chance, tolerance_px, len(batch))


def synthetic_lesion_cnn(
    settings: Settings, verbose: int = 0
) -> tuple[keras.Model, SyntheticDataset, Splits]:
    """The compact CNN trained for ``LESION_EPOCHS`` on the ``fast`` profile's synthetic scans
    (whatever the profile: only they have lesion masks), with that dataset and its split.
    Trained once and saved beside the other models, loaded afterwards."""
    fast = settings.with_profile("fast")
    root = dataset_root(fast)
    dataset = load_synthetic_dataset(root)
    survey = survey_dataset(root, fast.cache_dir, progress=verbose > 0)
    splits = survey.splits(fast.profile.val_fraction, fast.seed)
    path = fast.models_dir / f"{LESION_CNN_NAME}.keras"
    if path.is_file():
        return keras.models.load_model(path), dataset, splits
    trained = train(
        "cnn", fast, epochs=LESION_EPOCHS, name=LESION_CNN_NAME, survey=survey, verbose=verbose
    )
    return trained.model, dataset, splits


def lesion_mask(dataset: SyntheticDataset, relpath: str, image_size: int) -> np.ndarray:
    """An image's lesion mask at the model's input size, fitted exactly as the image is
    (:func:`prepare_pixels` scales and pads; some test images are enlarged copies)."""
    mask = np.repeat(dataset.mask_for(relpath)[..., np.newaxis], 3, axis=-1)
    return prepare_pixels(np.uint8(mask) * 255, image_size)[..., 0] > 127


def lesion_images(
    dataset: SyntheticDataset, records: Sequence[ImageRecord], image_size: int
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """The records that have a lesion, as :func:`pointing_game` takes them: ``(images,
    lesion masks, class indices)`` at the model's input size."""
    with_lesion = [record for record in records if dataset.mask_for(record.relpath).any()]
    images = np.stack([prepare_pixels(load_rgb(r.path), image_size) for r in with_lesion])
    masks = [lesion_mask(dataset, r.relpath, image_size) for r in with_lesion]
    return images, masks, np.array([r.label_index for r in with_lesion])


def measured_report(path: Path | str | None = None) -> str:
    """What ``benchmarks/saliency_report.py`` measured on more scans than a lesson has time
    for (by default in this checkout's ``benchmarks/results/``), per model and method: the
    pointing game against chance, and the sanity check's correlations from the head down.
    When there is no report, the text says how to make it."""
    if path is None:
        root = project_root()
        path = root / "benchmarks" / "results" / "saliency_report.json" if root else None
    if path is None or not Path(path).exists():
        return "No saliency report here: run `python benchmarks/saliency_report.py`."
    lines = []
    for name, run in json.loads(Path(path).read_text())["models"].items():
        lines.append(f"{name} ({run['recipe']}, test accuracy {run['test_accuracy']:.0%}):")
        for method in METHODS:
            game, sanity = run["pointing_game"][method], run["sanity_check"][method]
            correlations = " / ".join(f"{c:.2f}" for c in sanity["correlations"])
            lines.append(
                f"  {method:<11} pointing game {game['hit_rate']:>4.0%} "
                f"(chance {game['chance']:.0%}), sanity check {correlations}"
            )
    return "\n".join(lines)
