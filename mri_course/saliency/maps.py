"""Every saliency method, written once: the lessons call these functions, and the app calls
the very same ones compiled with ``tf.function`` (:class:`CompiledMaps`).

Each method in ``RAW_MAPS`` is a function ``(model, images, class_indices) -> maps`` made
of TensorFlow operations only, so ``tf.function`` can compile it as it is. The brief's
differentiates the softmax probability; the better ones differentiate the *logit*
(:func:`logit_model`), which neither saturates nor mixes in the other classes (lesson 07).
Every raw map is then drawn alike (:class:`.overlay.SaliencyMap`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from mri_course.models.cnn import last_conv_layer_name
from mri_course.saliency.mask import circular_mask
from mri_course.saliency.names import METHODS
from mri_course.saliency.overlay import THRESHOLD_PERCENTILE, SaliencyMap, display_map

SCORE_LAYER = "probabilities"  # the final dense layer of every course model
CHUNK = 16  # images per gradient computation: bounds the memory, not the result
SMOOTHGRAD_BATCH = 32  # noisy copies per gradient computation, likewise
SMOOTHGRAD_SAMPLES = 16
SMOOTHGRAD_NOISE = 0.15  # the noise's spread as a share of each image's range: the paper's advice


class PreActivation(keras.layers.Layer):
    """A dense layer's ``x @ W + b`` without its activation. It reads the layer's weights
    when it runs, so it agrees with the classifier even after the sanity check changes them."""

    def __init__(self, dense: keras.layers.Dense, **kwargs) -> None:
        super().__init__(name=f"{dense.name}_logits", **kwargs)
        self.dense = dense

    def call(self, inputs):
        logits = ops.matmul(inputs, self.dense.kernel)
        return logits if self.dense.bias is None else logits + self.dense.bias


def score_layer(model: keras.Model) -> keras.layers.Dense:
    """The classifier's final dense layer (``probabilities``), whose logits we differentiate."""
    try:
        layer = model.get_layer(SCORE_LAYER)
    except ValueError:
        layer = model.layers[-1]
    if not isinstance(layer, keras.layers.Dense):
        raise ValueError(
            f"{model.name} does not end in a Dense layer named {SCORE_LAYER!r}: the saliency "
            "methods need the class logits, which they compute from that layer's input"
        )
    return layer


def logit_model(model: keras.Model, feature_layer: str | None = None) -> keras.Model:
    """A model from the classifier's input to its class logits (before the softmax); with
    ``feature_layer``, to ``[that layer's feature maps, logits]``, what Grad-CAM needs."""
    dense = score_layer(model)
    logits = PreActivation(dense)(dense.input)
    if feature_layer is None:
        return keras.Model(model.input, logits, name=f"{model.name}_logits")
    features = model.get_layer(feature_layer).output
    return keras.Model(model.input, [features, logits], name=f"{model.name}_features_logits")


def as_batch(images: np.ndarray) -> np.ndarray:
    """Images as a float32 batch ``(n, height, width, 3)``; one image gets a batch axis."""
    batch = np.asarray(images, dtype=np.float32)
    if batch.ndim == 3:
        batch = batch[np.newaxis]
    if batch.ndim != 4:
        raise ValueError(
            f"images must be (height, width, 3) or (n, height, width, 3), got {batch.shape}"
        )
    return batch


def predicted_classes(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """The class each image is predicted to be (an index into ``CLASS_NAMES``)."""
    return np.argmax(np.asarray(model(as_batch(images), training=False)), axis=-1)


def resolve_classes(
    model: keras.Model, images: np.ndarray, class_indices: int | Sequence[int] | None
) -> np.ndarray:
    """One class index per image: the given ones, or the model's predictions for None."""
    if class_indices is None:
        return predicted_classes(model, images)
    return np.array(np.broadcast_to(np.asarray(class_indices, np.int64), (len(as_batch(images)),)))


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
    of each image, the noise ``noise_level`` times the image's range, fixed by ``seed``.

    A gradient map is speckled: a ReLU network's gradient jumps from pixel to pixel. The
    average keeps what is stable. It averages *magnitudes*, so speckle of opposite signs
    need not cancel (the paper's plain variant averages the signed gradients).
    """
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    count, samples_total = images.shape[0], images.shape[0] * samples
    noise = np.random.default_rng(seed).normal(size=(samples_total, *images.shape[1:]))
    spread = noise_level * (tf.reduce_max(images, (1, 2, 3)) - tf.reduce_min(images, (1, 2, 3)))
    noisy = (
        tf.repeat(images, samples, axis=0)
        + noise.astype(np.float32)
        * tf.repeat(spread, samples)[:, tf.newaxis, tf.newaxis, tf.newaxis]
    )
    classes = tf.repeat(tf.broadcast_to(class_indices, [count]), samples)
    maps = tf.concat(
        [
            vanilla_gradient_map(
                score_model, noisy[k : k + SMOOTHGRAD_BATCH], classes[k : k + SMOOTHGRAD_BATCH]
            )
            for k in range(0, samples_total, SMOOTHGRAD_BATCH)
        ],
        axis=0,
    )
    return tf.reduce_mean(tf.reshape(maps, (count, samples, *maps.shape[1:])), axis=1)


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
    """Grad-CAM (Selvaraju et al., 2017): which parts of the last feature maps raise the class
    score, as maps ``(n, height, width)`` >= 0 at the images' size.

    The last convolutional layer still knows *where* (a coarse grid: 8 x 8 for the compact
    CNN at 128 px) and already knows *what*. Grad-CAM adds its channels up, each weighed by
    :func:`gradcam_channel_weights`, keeps the positive part and enlarges the grid
    bilinearly. ``layer_name`` defaults to the model's last convolutional layer.
    """
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    layer_name = layer_name or last_conv_layer_name(model)
    feature_maps, weights = gradcam_channel_weights(model, images, class_indices, layer_name)
    coarse = tf.nn.relu(tf.einsum("nhwc,nc->nhw", feature_maps, weights))
    return tf.image.resize(coarse[..., tf.newaxis], tf.shape(images)[1:3], "bilinear")[..., 0]


# Each method's raw map: (model, images, class_indices) -> (n, height, width)
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


def raw_maps(
    model: keras.Model, images: np.ndarray, method: str, class_indices: np.ndarray
) -> np.ndarray:
    """The method's raw maps ``(n, height, width)``, computed ``CHUNK`` images at a time."""
    if method not in RAW_MAPS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return np.concatenate(
        [
            np.asarray(RAW_MAPS[method](model, images[k : k + CHUNK], class_indices[k : k + CHUNK]))
            for k in range(0, len(images), CHUNK)
        ]
    )


def saliency_maps(
    model: keras.Model,
    images: np.ndarray,
    method: str,
    class_indices: int | Sequence[int] | None = None,
    threshold_percentile: float = THRESHOLD_PERCENTILE,
) -> list[SaliencyMap]:
    """Maps of ``images`` by ``method``, one :class:`SaliencyMap` each.

    ``images`` are one image or a batch in ``0..255`` at the model's input size (as
    ``prepare_pixels`` gives them); ``class_indices`` one class per image, or one for all,
    or None for each image's predicted class.
    """
    batch = as_batch(images)
    classes = resolve_classes(model, batch, class_indices)
    raws = raw_maps(model, batch, method, classes)
    return [
        SaliencyMap.drawn(method, image, raw, index, threshold_percentile)
        for image, raw, index in zip(batch, raws, classes, strict=True)
    ]


def saliency_map(
    model: keras.Model,
    image: np.ndarray,
    method: str = "gradcam",
    class_index: int | None = None,
    threshold_percentile: float = THRESHOLD_PERCENTILE,
) -> SaliencyMap:
    """One image's :class:`SaliencyMap` (see :func:`saliency_maps`)."""
    return saliency_maps(model, image, method, class_index, threshold_percentile)[0]


def brief_gradient_map(
    model: keras.Model, image: np.ndarray, class_index: int | None = None
) -> np.ndarray:
    """The original project's map of one image, step for step, without OpenCV: the gradient
    of the softmax probability (:func:`vanilla_gradient_map` on the classifier itself),
    drawn in the brief's circle (:func:`.overlay.display_map`). Its JET colours over the
    whole scan are :func:`.overlay.saliency_overlay` of a ``"brief"`` map. The brief also
    resized the gradient to the image size, which changes nothing here.
    """
    batch = as_batch(image)
    classes = resolve_classes(model, batch, class_index)
    gradients = np.asarray(vanilla_gradient_map(model, batch, classes))[0]
    return display_map(gradients, circular_mask(*gradients.shape))


class CompiledMaps:
    """Every method for one model, each compiled once with ``tf.function``: the app's path.

    A lesson calls the methods eagerly, rebuilding the logit model on every call; a page
    that redraws on every click cannot wait for that. The same ``RAW_MAPS``, traced once
    per method and batch shape, give the lesson's maps, faster
    (``benchmarks/results/app_latency.md``).
    """

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self._compiled: dict[str, Callable] = {}

    def __call__(self, images: np.ndarray, method: str, class_indices: np.ndarray) -> np.ndarray:
        """The raw maps ``(n, height, width)`` of ``images``, as :func:`raw_maps` gives them."""
        if method not in RAW_MAPS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        if method not in self._compiled:
            self._compiled[method] = tf.function(functools.partial(RAW_MAPS[method], self.model))
        images = tf.convert_to_tensor(images, dtype=tf.float32)
        return self._compiled[method](images, tf.convert_to_tensor(class_indices, tf.int32)).numpy()
