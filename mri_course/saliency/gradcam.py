"""Grad-CAM: which parts of the last feature maps raise the class score (Selvaraju et al., 2017).

The last convolutional layer still knows *where* things are (a coarse grid: 8 x 8 for the
compact CNN at 128 px, 4 x 4 at 64 px) and already knows *what* they are. Grad-CAM weighs
each of its channels by how much the class logit rises with it (the spatial mean of the
gradient), adds the weighted channels up, keeps the positive part and enlarges the grid to
the image. Its maps are coarse, and they depend on the trained weights: in the sanity check
they change completely when the model is randomised, where gradient maps partly survive.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from mri_course.models.cnn import last_conv_layer_name
from mri_course.saliency.gradients import as_batch, logit_model


def gradcam_channel_weights(
    model: keras.Model, images: np.ndarray, class_indices: Sequence[int], layer_name: str
) -> tuple[np.ndarray, np.ndarray]:
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
        weights ``(n, channels)``, both float32 numpy arrays.
    """
    features_and_logits = logit_model(model, feature_layer=layer_name)
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    with tf.GradientTape() as tape:
        feature_maps, logits = features_and_logits(images, training=False)
        chosen = tf.one_hot(class_indices, depth=logits.shape[-1], dtype=logits.dtype)
        total = tf.reduce_sum(logits * chosen)
    gradients = tape.gradient(total, feature_maps)
    weights = tf.reduce_mean(gradients, axis=(1, 2))
    return feature_maps.numpy(), weights.numpy()


def gradcam_map(
    model: keras.Model,
    images: np.ndarray,
    class_indices: Sequence[int],
    layer_name: str | None = None,
) -> np.ndarray:
    """Grad-CAM maps ``(n, height, width)``, >= 0, at the images' size.

    ``ReLU(sum_k weight_k * feature_map_k)``, enlarged bilinearly from the layer's grid.
    ``layer_name`` defaults to the model's last convolutional layer
    (``block14_sepconv2_act`` for Xception, ``block4_relu2`` for the compact CNN).
    """
    images = as_batch(images)
    layer_name = layer_name or last_conv_layer_name(model)
    feature_maps, weights = gradcam_channel_weights(model, images, class_indices, layer_name)
    coarse = np.maximum(np.einsum("nhwc,nc->nhw", feature_maps, weights), 0.0)
    enlarged = tf.image.resize(coarse[..., np.newaxis], images.shape[1:3], method="bilinear")
    return enlarged.numpy()[..., 0]
