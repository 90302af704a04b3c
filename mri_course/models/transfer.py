"""Transfer learning: Xception trained on ImageNet, with the brief's 128-then-4 head.

Xception turns an image into 2048 feature maps with depthwise separable convolutions
(a 3x3 filter per channel, then a 1x1 mix of the channels: far fewer weights than a full
convolution). Its filters were learnt on ImageNet-1k (about 1.28 million photos in 1000
classes), so they already find edges, textures and shapes; the head only has to learn which
of those features point to which tumour.

The model is built *flat*: the Xception layers are layers of the model itself, not one
nested layer, so ``block14_sepconv2_act`` (the last feature maps, for Grad-CAM) can be
reached with ``model.get_layer``, also after saving and loading.
"""

from __future__ import annotations

import re
from pathlib import Path

import keras
from keras import layers

from mri_course.config import PROFILE_ENV, XCEPTION_WEIGHTS_ENV, Settings
from mri_course.data.release import CLASS_NAMES

XCEPTION_LAST_CONV = "block14_sepconv2_act"
MIN_IMAGE_SIZE = 71
WEIGHTS_FILE = "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_URL = (
    f"https://storage.googleapis.com/tensorflow/keras-applications/xception/{WEIGHTS_FILE}"
)


class WeightsUnavailableError(RuntimeError):
    """The ImageNet weights can be neither downloaded nor found locally."""


def xception_weights_for(settings: Settings) -> str | Path | None:
    """Which weights the profile asks for: a local file, ``"imagenet"``, or None (random).

    The ``fast`` profile uses random weights: it checks that the code runs, not that the
    model learns, and it must not download 80 MB.
    """
    if settings.xception_weights is not None:
        if not settings.xception_weights.is_file():
            raise WeightsUnavailableError(
                f"{XCEPTION_WEIGHTS_ENV}={settings.xception_weights} is not a file. Point it "
                f"at a copy of {WEIGHTS_FILE} ({WEIGHTS_URL})."
            )
        return settings.xception_weights
    return None if settings.profile.synthetic else "imagenet"


def classification_head(features: keras.KerasTensor) -> keras.KerasTensor:
    """The brief's head on top of the base's features: 128 neurons, then 4.

    Flatten the features into one vector; drop 30% of them at random while training (so no
    single feature is relied on); 128 ReLU neurons look for patterns that point to a
    tumour type; drop 25% of those; 4 softmax neurons give one probability per class.

    Args:
        features: the base's output, e.g. the 2048 max-pooled Xception features.

    Returns:
        The class probabilities, shape ``(batch, 4)``. The layers are named
        ``head_flatten``, ``head_dropout1``, ``head_dense``, ``head_dropout2`` and
        ``probabilities``.

    Hints:
        - Each layer is called on the previous output: `x = layers.Flatten(name=...)(x)`.
        - Dropout takes the share to drop: `layers.Dropout(0.3, name="head_dropout1")`.
        - The last layer needs `activation="softmax"` and `len(CLASS_NAMES)` units.
    """
    x = layers.Flatten(name="head_flatten")(features)
    x = layers.Dropout(0.3, name="head_dropout1")(x)
    x = layers.Dense(128, activation="relu", name="head_dense")(x)
    x = layers.Dropout(0.25, name="head_dropout2")(x)
    return layers.Dense(len(CLASS_NAMES), activation="softmax", name="probabilities")(x)


def _pretrained_xception(image_size: int, weights: str | Path) -> keras.Model:
    """A standalone Xception base holding the weights (downloaded or from a file)."""
    shape = (image_size, image_size, 3)
    if weights == "imagenet":
        try:
            return keras.applications.Xception(
                include_top=False, weights="imagenet", input_shape=shape
            )
        except Exception as error:  # offline, proxy, hash mismatch: all "no weights"
            raise WeightsUnavailableError(
                f"Could not get Xception's ImageNet weights ({type(error).__name__}: "
                f"{str(error).splitlines()[0][:240]}). Download {WEIGHTS_URL} and set "
                f"{XCEPTION_WEIGHTS_ENV}=/path/to/{WEIGHTS_FILE}, or use {PROFILE_ENV}=fast "
                "(random weights)."
            ) from error
    model = keras.applications.Xception(include_top=False, weights=None, input_shape=shape)
    try:
        model.load_weights(str(weights))
    except Exception as error:
        raise WeightsUnavailableError(
            f"{XCEPTION_WEIGHTS_ENV}={weights} does not hold Xception weights without the top "
            f"({type(error).__name__}: {str(error).splitlines()[0][:160]}); use {WEIGHTS_FILE}."
        ) from error
    return model


def build_xception_features(
    image_size: int, weights: str | Path | None, *, why_random: str = "fast profile"
) -> keras.Model:
    """Image -> 2048 max-pooled Xception features, preprocessing included, built flat.

    ``weights`` is ``"imagenet"``, a weights file, or None for random weights (with a
    printed notice, since such a model's accuracy means nothing; ``why_random`` is the
    reason it gives).
    """
    if image_size < MIN_IMAGE_SIZE:
        raise ValueError(f"Xception needs images of {MIN_IMAGE_SIZE} px or more, got {image_size}")
    inputs = keras.Input((image_size, image_size, 3), name="image")
    # Xception was trained on pixels scaled to [-1, 1]: this layer is its preprocess_input.
    scaled = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="xception_preprocess")(inputs)
    base = keras.applications.Xception(
        include_top=False, weights=None, input_tensor=scaled, pooling="max"
    )
    if weights is None:
        print(
            f"Notice: Xception has RANDOM weights here ({why_random}); its accuracy means nothing."
        )
    else:
        _copy_weights(_pretrained_xception(image_size, weights), base)
    return keras.Model(inputs, base.output, name="xception_features")


def _copy_weights(source: keras.Model, target: keras.Model) -> None:
    """Copy weights layer by layer, in order: both are the same Xception architecture.

    Not by name: Keras numbers unnamed layers per session (``conv2d_4``), so the residual
    convolutions of two builds carry different names.
    """
    sources = [layer for layer in source.layers if layer.weights]
    targets = [layer for layer in target.layers if layer.weights]
    if len(sources) != len(targets):
        raise ValueError(f"{len(sources)} layers with weights to copy into {len(targets)}")
    for src, dst in zip(sources, targets, strict=True):
        dst.set_weights(src.get_weights())


def build_transfer_model(
    image_size: int, weights: str | Path | None, *, why_random: str = "fast profile"
) -> keras.Model:
    """The brief's transfer model: Xception features, then :func:`classification_head`."""
    features = build_xception_features(image_size, weights, why_random=why_random)
    outputs = classification_head(features.output)
    return keras.Model(features.input, outputs, name="xception_transfer")


def xception_block_of(model: keras.Model) -> dict[str, str]:
    """Layer name -> Xception block (``"block1"`` ... ``"block14"``) for the base's layers.

    Most layers carry their block in their name; the unnamed 1x1 residual convolutions come
    just before the block they feed, so they join the next named block. (The unnamed batch
    normalisations and additions are left out: they stay frozen, or have no weights.)
    """
    blocks: dict[str, str] = {}
    waiting: list[str] = []
    for layer in model.layers:
        found = re.match(r"(block\d+)_", layer.name)
        if found:
            for name in waiting:
                blocks[name] = found.group(1)
            waiting = []
            blocks[layer.name] = found.group(1)
        elif isinstance(layer, layers.Conv2D):
            waiting.append(layer.name)
    return blocks


def unfreeze_top_blocks(model: keras.Model, blocks: int) -> keras.Model:
    """Freeze the Xception base except its top ``blocks`` blocks; the head stays trainable.

    Fine-tuning only the top blocks adapts the most specific features (parts, textures) to
    MRI while keeping the general ones (edges) from ImageNet, and costs far less than
    training every layer. Batch normalisation layers stay frozen everywhere: unfrozen, they
    would re-estimate their statistics from small batches and undo the pretrained weights.

    Args:
        model: a model from :func:`build_transfer_model`.
        blocks: how many of the last Xception blocks to train (0 freezes the whole base).

    Returns:
        The same model, with each layer's ``trainable`` set.

    Hints:
        - `xception_block_of(model)` maps each base layer's name to its block.
        - The top blocks are the last `blocks` of the sorted block names (sort by number:
          block9 comes before block10).
        - Every layer gets `layer.trainable = ...`: base layers by their block (never a
          BatchNormalization), head layers True, the rest False.
    """
    block_of = xception_block_of(model)
    ordered = sorted(set(block_of.values()), key=lambda name: int(name[5:]))
    trainable_blocks = set(ordered[len(ordered) - blocks :]) if blocks > 0 else set()
    for layer in model.layers:
        if layer.name in block_of:
            is_norm = isinstance(layer, layers.BatchNormalization)
            layer.trainable = block_of[layer.name] in trainable_blocks and not is_norm
        else:
            layer.trainable = layer.name.startswith(("head_", "probabilities"))
    return model
