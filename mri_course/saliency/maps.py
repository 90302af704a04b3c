"""Every saliency method, written once: ``RAW_MAPS[method](model, images, class_indices)``,
of TensorFlow operations only, so that the app compiles with ``tf.function`` the very ones
the lessons call (:class:`CompiledMaps`). The brief differentiates the softmax probability,
the better methods the *logit* (:func:`logit_model`), which does not saturate (lesson 07)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from mri_course.models.cnn import last_conv_layer_name
from mri_course.models.framing import head_crop_of
from mri_course.saliency.names import METHODS
from mri_course.saliency.overlay import SaliencyMap

SCORE_LAYER = "probabilities"  # the final dense layer of every course model
CHUNK = 16  # images per gradient computation: bounds the memory, not the result
SMOOTHGRAD_SAMPLES = 16  # noisy copies of an image, in one gradient computation
SMOOTHGRAD_NOISE = 0.15  # the noise's spread as a share of each image's range: the paper's advice


def score_layer(model: keras.Model) -> keras.layers.Dense:
    """The classifier's final dense layer, whose input gives the class logits."""
    named = any(layer.name == SCORE_LAYER for layer in model.layers)
    layer = model.get_layer(SCORE_LAYER) if named else model.layers[-1]
    if not isinstance(layer, keras.layers.Dense):
        raise ValueError(
            f"{model.name} does not end in a Dense layer named {SCORE_LAYER!r}: the saliency "
            "methods need the class logits, which they compute from that layer's input"
        )
    return layer


def logit_model(model: keras.Model, feature_layer: str | None = None) -> keras.Model:
    """A model from the classifier's input to its class logits (before the softmax); with
    ``feature_layer``, to ``[that layer's feature maps, logits]``, what Grad-CAM needs. The
    logits read the dense layer's weights as they run, so they follow the sanity check."""
    dense = score_layer(model)
    bias = 0.0 if dense.bias is None else dense.bias
    pre_activation = keras.layers.Lambda(
        lambda x: ops.matmul(x, dense.kernel) + bias, name=f"{dense.name}_logits"
    )
    logits = pre_activation(dense.input)
    outputs = logits if feature_layer is None else [model.get_layer(feature_layer).output, logits]
    return keras.Model(model.input, outputs, name=f"{model.name}_logits")


def as_batch(images: np.ndarray) -> np.ndarray:
    """Images as a float32 batch ``(n, height, width, 3)``; one image gets a batch axis."""
    batch = np.asarray(images, dtype=np.float32)
    batch = batch[np.newaxis] if batch.ndim == 3 else batch
    if batch.ndim != 4:
        raise ValueError(
            f"images must be (height, width, 3) or (n, height, width, 3), not {batch.shape}"
        )
    return batch


def resolve_classes(
    model: keras.Model, images: np.ndarray, class_indices: int | Sequence[int] | None = None
) -> np.ndarray:
    """One class index per image: the given ones, or the model's predictions for None."""
    batch = as_batch(images)
    if class_indices is None:
        return np.argmax(np.asarray(model(batch, training=False)), axis=-1)
    return np.array(np.broadcast_to(np.asarray(class_indices, np.int64), (len(batch),)))


def vanilla_gradient_map(
    score_model: Callable, images: np.ndarray | tf.Tensor, class_indices: Sequence[int]
) -> tf.Tensor:
    """How strongly each pixel sways a class score: the brief's gradient map, before its mask.

    The gradient of the class score with respect to the input image says, for every pixel
    and colour channel, how much the score would change if that value changed a little.
    Its sign only says in which direction, so the map keeps its absolute value; an MRI
    slice is grey (its three channels are copies), so the map keeps, at each pixel, the
    largest of the three channels' values.

    Args:
        score_model: a model from images to class scores: the classifier itself (its
            softmax probabilities, as in the brief) or ``logit_model(classifier)``.
        images: a float32 batch ``(n, height, width, 3)`` of pixels in ``0..255``.
        class_indices: the class whose score to explain, one per image.

    Returns:
        A float32 tensor ``(n, height, width)`` of values >= 0 (``np.asarray`` makes it a
        numpy array). Only TensorFlow operations, so ``tf.function`` can compile it.

    Hints:
        - Make the images a tensor the tape can watch: `images =
          tf.convert_to_tensor(images, dtype=tf.float32)`, then `tape.watch(images)` inside
          `with tf.GradientTape() as tape:`.
        - Pick each image's class score: `tf.reduce_sum(scores * tf.one_hot(class_indices,
          depth=scores.shape[-1]))`; the gradient of that sum gives each image its own
          gradient.
        - `tape.gradient(total, images)`, then `tf.abs` and `tf.reduce_max(..., axis=-1)`;
          return the tensor (no `.numpy()`: then `tf.function` can compile your code).
    """
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        scores = score_model(images, training=False)
        chosen = tf.one_hot(class_indices, depth=scores.shape[-1], dtype=scores.dtype)
        # Each image's score depends only on that image, so the gradient of the sum gives
        # every image the gradient of its own class score.
        total = tf.reduce_sum(scores * chosen)
    gradients = tape.gradient(total, images)
    return tf.reduce_max(tf.abs(gradients), axis=-1)


def smoothgrad_map(
    score_model: Callable,
    images: np.ndarray | tf.Tensor,
    class_indices: Sequence[int],
    samples: int = SMOOTHGRAD_SAMPLES,
    noise_level: float = SMOOTHGRAD_NOISE,
    seed: int = 0,
) -> tf.Tensor:
    """SmoothGrad (Smilkov et al., 2017): the mean gradient map over ``samples`` noisy copies
    of each image, the noise ``noise_level`` times the image's range, fixed by ``seed``. A
    ReLU network's gradient jumps from pixel to pixel; the mean keeps what is stable."""
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    classes = tf.broadcast_to(class_indices, images.shape[:1])
    noise = np.random.default_rng(seed).normal(size=(images.shape[0], samples, *images.shape[1:]))
    maps = []
    for k in range(images.shape[0]):
        spread = noise_level * (tf.reduce_max(images[k]) - tf.reduce_min(images[k]))
        noisy = images[k] + spread * noise[k].astype(np.float32)
        gradients = vanilla_gradient_map(score_model, noisy, tf.repeat(classes[k], samples))
        maps.append(tf.reduce_mean(gradients, axis=0))
    return tf.stack(maps)


def gradcam_channel_weights(
    model: keras.Model,
    images: np.ndarray | tf.Tensor,
    class_indices: Sequence[int],
    layer_name: str,
) -> tuple[tf.Tensor, tf.Tensor]:
    """The feature maps of ``layer_name`` and Grad-CAM's weight for each of their channels.

    A channel's weight is the mean, over the feature map's height and width, of the gradient
    of the class *logit* (the score before the softmax, from :func:`logit_model`) with
    respect to that channel: how much the class score rises, on average, when the channel
    is stronger. The logit, because the softmax saturates: for a confident prediction its
    gradients are close to zero, and they mix in the other classes.

    Args:
        model: a course classifier (``Dense(4, softmax)`` named ``probabilities`` last).
        images: a float32 batch ``(n, height, width, 3)`` in ``0..255``.
        class_indices: the class to explain, one per image.
        layer_name: the convolutional layer to explain, e.g. ``last_conv_layer_name(model)``.

    Returns:
        ``(feature_maps, weights)``: the layer's output ``(n, h, w, channels)`` and the
        weights ``(n, channels)``, float32 tensors (TensorFlow operations only).

    Hints:
        - `logit_model(model, feature_layer=layer_name)` is a model whose outputs are
          `[feature_maps, logits]`: the logits, not the softmax.
        - Call it inside `with tf.GradientTape() as tape:`; the feature maps are computed
          there, so the tape can differentiate with respect to them without `watch`.
        - Select each image's class logit with `tf.one_hot`, then `tape.gradient(total,
          feature_maps)` and `tf.reduce_mean(..., axis=(1, 2))`.
    """
    features_and_logits = logit_model(model, feature_layer=layer_name)
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    with tf.GradientTape() as tape:
        feature_maps, logits = features_and_logits(images, training=False)
        chosen = tf.one_hot(class_indices, depth=logits.shape[-1], dtype=logits.dtype)
        total = tf.reduce_sum(logits * chosen)
    gradients = tape.gradient(total, feature_maps)
    weights = tf.reduce_mean(gradients, axis=(1, 2))
    return feature_maps, weights


def gradcam_map(
    model: keras.Model,
    images: np.ndarray | tf.Tensor,
    class_indices: Sequence[int],
    layer_name: str | None = None,
) -> tf.Tensor:
    """Grad-CAM (Selvaraju et al., 2017): the channels of the last feature maps, which still
    know *where* (a coarse grid) and already *what*, weighed by
    :func:`gradcam_channel_weights` and added up; the positive part, enlarged bilinearly to
    maps ``(n, height, width)``. ``layer_name`` defaults to the last convolutional layer.

    A model that zooms to the head first (:class:`~mri_course.models.framing.HeadCrop`)
    has feature maps of the zoomed image; the map is moved back onto the image as given."""
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    layer_name = layer_name or last_conv_layer_name(model)
    feature_maps, weights = gradcam_channel_weights(model, images, class_indices, layer_name)
    coarse = tf.nn.relu(tf.einsum("nhwc,nc->nhw", feature_maps, weights))
    maps = tf.image.resize(coarse[..., tf.newaxis], tf.shape(images)[1:3], "bilinear")[..., 0]
    head_crop = head_crop_of(model)
    return maps if head_crop is None else head_crop.to_input_frame(maps, images)


# Each method's raw maps: (model, images, class_indices) -> (n, height, width)
RAW_MAPS: dict[str, Callable[[keras.Model, tf.Tensor, tf.Tensor], tf.Tensor]] = {
    "brief": vanilla_gradient_map,  # the classifier itself: its softmax probabilities
    "gradient": lambda model, images, classes: vanilla_gradient_map(
        logit_model(model), images, classes
    ),
    "smoothgrad": lambda model, images, classes: smoothgrad_map(
        logit_model(model), images, classes
    ),
    "gradcam": gradcam_map,
}


def raw_map_function(method: str) -> Callable[[keras.Model, tf.Tensor, tf.Tensor], tf.Tensor]:
    """The method's entry of ``RAW_MAPS``, or a ``ValueError`` that lists the methods."""
    if method not in RAW_MAPS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return RAW_MAPS[method]


def saliency_maps(
    model: keras.Model,
    images: np.ndarray,
    method: str,
    class_indices: int | Sequence[int] | None = None,
) -> list[SaliencyMap]:
    """Maps of ``images`` (one or a batch in 0..255, as ``prepare_pixels`` gives them) by
    ``method``, of one class per image, one for all, or None: each image's predicted class."""
    batch = as_batch(images)
    classes = resolve_classes(model, batch, class_indices)
    raw_maps = raw_map_function(method)
    raws = np.concatenate(
        [
            np.asarray(raw_maps(model, batch[k : k + CHUNK], classes[k : k + CHUNK]))
            for k in range(0, len(batch), CHUNK)
        ]
    )
    return [
        SaliencyMap.drawn(method, image, raw, index)
        for image, raw, index in zip(batch, raws, classes, strict=True)
    ]


def saliency_map(
    model: keras.Model,
    image: np.ndarray,
    method: str = "gradcam",
    class_index: int | None = None,
) -> SaliencyMap:
    """One image's :class:`SaliencyMap` (see :func:`saliency_maps`)."""
    return saliency_maps(model, image, method, class_index)[0]


class CompiledMaps:
    """Every method's raw maps for one model, each compiled once with ``tf.function``: the
    app's path. A lesson's eager call rebuilds the logit model every time; a page that
    redraws on every click cannot wait for that."""

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self._compiled: dict[str, Callable] = {}

    def __call__(self, images: np.ndarray, method: str, class_indices: np.ndarray) -> np.ndarray:
        """The raw maps ``(n, height, width)`` of ``images``, as ``RAW_MAPS`` gives them."""
        if method not in self._compiled:
            raw_maps = functools.partial(raw_map_function(method), self.model)
            self._compiled[method] = tf.function(raw_maps)
        images = tf.convert_to_tensor(images, dtype=tf.float32)
        return self._compiled[method](images, tf.convert_to_tensor(class_indices, tf.int32)).numpy()
