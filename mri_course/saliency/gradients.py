"""The shared core of every method: class scores, and their gradients with respect to the input.

Two kinds of class score
------------------------
The course's models end in ``Dense(4, activation="softmax", name="probabilities")``. The
brief took its gradients from that softmax output. Grad-CAM and the better methods take them
from the *logit*, the dense layer's ``x @ W + b`` before the softmax, for two reasons:

* the softmax saturates: when the model is sure (p = 0.999), nudging the input barely moves
  p, so its gradient is close to zero everywhere and the map is mostly noise;
* the gradient of a probability mixes the classes: ``dp_c = p_c (dz_c - sum_j p_j dz_j)``,
  so a pixel that makes *another* class less likely lights up as evidence for class c.

:func:`logit_model` builds a model that outputs those logits, sharing the classifier's
weights (no copy), so it works on any of the course's models, also one loaded from disk.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

SCORE_LAYER = "probabilities"
"""The name of the final dense layer of every course model (see ``models.transfer``)."""


class PreActivation(keras.layers.Layer):
    """A dense layer's ``x @ W + b`` without its activation, reading the layer's own weights.

    The weights are read when the layer runs, not copied when it is made, so a model built
    with it always agrees with the classifier, even after the classifier's weights change
    (the sanity check randomises them).
    """

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
    """A model with the classifier's input and its class logits (before the softmax) out.

    With ``feature_layer`` it outputs ``[feature maps of that layer, logits]``, what
    Grad-CAM needs. The models are built flat, so ``model.get_layer`` reaches every layer,
    also after ``keras.models.load_model``.
    """
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
    probabilities = model(as_batch(images), training=False)
    return np.argmax(np.asarray(probabilities), axis=-1)


def resolve_classes(
    model: keras.Model, images: np.ndarray, class_indices: int | Sequence[int] | None
) -> np.ndarray:
    """One class index per image: the given ones, or the model's predictions for None."""
    count = len(as_batch(images))
    if class_indices is None:
        return predicted_classes(model, images)
    classes = np.broadcast_to(np.asarray(class_indices, dtype=np.int64), (count,))
    return np.array(classes)


def vanilla_gradient_map(
    score_model: keras.Model, images: np.ndarray, class_indices: Sequence[int]
) -> np.ndarray:
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
        A float32 array ``(n, height, width)`` of values >= 0.
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
    return tf.reduce_max(tf.abs(gradients), axis=-1).numpy()
