"""Measure whether a saliency method deserves trust, instead of asserting it.

* :func:`sanity_check`, the model-parameter randomisation test (Adebayo et al., 2018,
  "Sanity Checks for Saliency Maps"): re-initialise the model's weights from the top down
  (the head, then the last convolutional block, then the one before) and compare each map
  with the trained model's map. A method that explains the *model* must change when the
  model is destroyed; one whose maps stay the same is showing the image (its edges), not
  what the model learnt.
* :func:`pointing_game` (Zhang et al., 2016): on the synthetic scans, whose lesion masks are
  known, the share of images whose map peaks inside the lesion. Chance is the share of the
  brain the (widened) lesion covers: a method must beat it to be said to point at lesions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
from scipy import ndimage, stats

from mri_course.models.transfer import xception_block_of
from mri_course.saliency.maps import as_batch, resolve_classes, saliency_maps
from mri_course.saliency.mask import brain_mask

TOP_BLOCKS = 2  # the sanity check randomises the head, then this many blocks from the top
POINTING_TOLERANCE = 2
"""Pixels by which a lesion is widened before asking whether the peak is inside it: the maps
are blurred and Grad-CAM's grid is coarse, so a peak on the rim counts (Zhang et al.
allowed 15 px at 224 px; 2 px is stricter at the course's sizes)."""


# --- the sanity check -------------------------------------------------------------------


def randomisation_stages(model: keras.Model, top_blocks: int = TOP_BLOCKS) -> list[tuple]:
    """The cascade of the sanity check: ``[(stage name, layer names), ...]``, top first.

    Stage 1 is the head (the dense layers); then one convolutional block per stage, from the
    last: ``block4``, ``block3`` for the compact CNN, ``block14``, ``block13`` for Xception.
    Models without named blocks (the brief's CNN) count each convolution as a block.
    """
    dense = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    stages: list[tuple[str, list[str]]] = [("head", dense)]
    with_weights = {layer.name for layer in model.layers if layer.weights}
    block_of = {n: b for n, b in xception_block_of(model).items() if n in with_weights}
    if block_of:
        order = sorted(set(block_of.values()), key=lambda name: int(re.sub(r"\D", "", name)))
        blocks = [(b, [n for n, ofb in block_of.items() if ofb == b]) for b in reversed(order)]
    else:
        convs = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        blocks = [(name, [name]) for name in reversed(convs)]
    return stages + blocks[:top_blocks]


def reinitialise(layer: keras.layers.Layer, seed: int) -> None:
    """Give a layer the weights a freshly built one would have.

    Kernels (every weight of two or more dimensions) get Keras' default Glorot-uniform
    values, biases and shifts zero, scales and variances one; a batch normalisation thus
    passes its input through unchanged, as when it is new.
    """
    for k, variable in enumerate(layer.weights):
        shape = tuple(variable.shape)
        if len(shape) >= 2:
            value = keras.initializers.GlorotUniform(seed=seed + k)(shape)
        elif variable.name in ("gamma", "moving_variance"):
            value = np.ones(shape, dtype="float32")
        else:
            value = np.zeros(shape, dtype="float32")
        variable.assign(value)


def trained_copy(model: keras.Model) -> keras.Model:
    """A copy of ``model`` with its own weights (same layer names), to damage freely."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


@dataclass(frozen=True)
class SanityCheck:
    """``correlations[k]``: the mean over the images of the Spearman correlation, over the
    brain's pixels, of the trained model's map with the map after stages ``0..k`` were
    randomised; 1 means unchanged, 0 unrelated. ``per_image`` is ``[stage][image]``."""

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
    model: keras.Model,
    images: np.ndarray,
    method: str,
    top_blocks: int = TOP_BLOCKS,
    seed: int = 0,
) -> SanityCheck:
    """The cascading model-randomisation test of ``method`` on ``images``.

    The classes explained are the trained model's predictions, kept fixed at every stage,
    so only the weights change. Maps are compared raw, over the method's brain mask.
    The model itself is not changed (a copy is randomised).
    """
    batch = as_batch(images)
    classes = resolve_classes(model, batch, None)
    before = saliency_maps(model, batch, method, classes)
    damaged = trained_copy(model)
    stages, correlations, per_image = [], [], []
    for k, (stage, layer_names) in enumerate(randomisation_stages(model, top_blocks)):
        for j, name in enumerate(layer_names):
            reinitialise(damaged.get_layer(name), seed=seed + 1000 * k + 10 * j)
        after = saliency_maps(damaged, batch, method, classes)
        scores = [
            rank_correlation(b.raw, a.raw, b.mask) for b, a in zip(before, after, strict=True)
        ]
        stages.append(stage)
        per_image.append(tuple(scores))
        correlations.append(float(np.nanmean(scores)) if np.isfinite(scores).any() else np.nan)
    return SanityCheck(method, tuple(stages), tuple(correlations), tuple(per_image), len(batch))


# --- the pointing game ------------------------------------------------------------------


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
    """The share of images whose drawn map peaks inside the lesion (widened by
    ``tolerance_px`` pixels).

    Args:
        model: a classifier trained on the synthetic data (whose lesions are known).
        images: ``(n, height, width, 3)`` in ``0..255``, each with a lesion.
        masks: the boolean lesion mask of each image (``SyntheticDataset.mask_for``), at the
            images' size.
        method: a key of ``names.METHODS``.
        class_indices: the class to explain per image; None explains the predicted class.
            Pass the true labels to ask "where is the evidence for the right answer?".
        tolerance_px: how many pixels to widen each lesion by.

    Raises:
        ValueError: when a mask is empty (a ``notumor`` scan has no lesion to point at)
            or has another size than its image.
    """
    batch = as_batch(images)
    masks = [np.asarray(mask, dtype=bool) for mask in masks]
    if len(masks) != len(batch):
        raise ValueError(f"{len(batch)} images but {len(masks)} lesion masks")
    for k, mask in enumerate(masks):
        if mask.shape != batch.shape[1:3]:
            raise ValueError(f"lesion mask {k} is {mask.shape}, its image {batch.shape[1:3]}")
        if not mask.any():
            raise ValueError(f"lesion mask {k} is empty: leave images without a lesion out")
    maps = saliency_maps(model, batch, method, class_indices)
    hits, chances = [], []
    for image, mask, saliency in zip(batch, masks, maps, strict=True):
        target = ndimage.binary_dilation(mask, iterations=tolerance_px) if tolerance_px else mask
        peak = np.unravel_index(np.argmax(saliency.display), mask.shape)
        hits.append(bool(target[peak]))
        brain = brain_mask(image)
        chances.append((target & brain).sum() / max(1, brain.sum()))
    return PointingGame(
        method=method,
        hits=tuple(hits),
        hit_rate=float(np.mean(hits)),
        chance=float(np.mean(chances)),
        tolerance_px=tolerance_px,
        images=len(batch),
    )
