"""Reference solutions of lesson 07 (saliency maps you can trust).

Each function is the package's own code, copied from the module named above it: the
course runs exactly this. Edit the package, then run
`python -m mri_course.exercises.generate` to refresh this file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from scipy import ndimage

from mri_course.saliency.maps import logit_model
from mri_course.saliency.mask import HEAD_THRESHOLD, SKULL_FRACTION


# Exercise 7.1, from mri_course/saliency/maps.py
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


# Exercise 7.2, from mri_course/saliency/maps.py
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


# Exercise 7.3, from mri_course/saliency/mask.py
def brain_mask(image: np.ndarray, skull_fraction: float = SKULL_FRACTION) -> np.ndarray:
    """The brain of an MRI slice, found in the image: threshold, largest component, holes
    filled, skull peeled off.

    1. Grey levels: the mean of the three channels.
    2. Threshold: a pixel is head when brighter than ``HEAD_THRESHOLD`` (a tenth) of the
       99th percentile of the image; MRI shows air as black, so this separates head from
       background whatever the scanner's contrast (the percentile ignores a few hot pixels).
    3. Largest connected component (``ndimage.label``): specks of noise and labels burnt
       into the image are separate islands and are dropped.
    4. Fill holes (``ndimage.binary_fill_holes``): dark ventricles or a dark necrotic core
       are inside the brain and must stay in it.
    5. Peel off the skull: keep the pixels farther from the background than
       ``skull_fraction`` of the largest such distance (``ndimage.distance_transform_edt``),
       i.e. the head shrunk by that share of its radius.

    Args:
        image: one image ``(height, width, 3)`` or ``(height, width)``, any range.
        skull_fraction: the outer share of the head's radius to drop (0 keeps the skull).

    Returns:
        A boolean mask ``(height, width)``. An image with nothing brighter than the
        background (all black) gives an all-False mask.

    Hints:
        - Grey levels: `image.mean(axis=-1)` for a 3-D image; head: `gray > HEAD_THRESHOLD *
          np.percentile(gray, 99)`.
        - `labels, count = ndimage.label(head)`; `np.bincount(labels.ravel())[1:]` counts
          the pixels of labels 1, 2, ...: keep the label with the most.
        - `ndimage.binary_fill_holes(...)`, then `depth =
          ndimage.distance_transform_edt(head)` and keep `depth > skull_fraction *
          depth.max()`.
    """
    gray = np.asarray(image, dtype=np.float64)
    if gray.ndim == 3:
        gray = gray.mean(axis=-1)
    head = gray > HEAD_THRESHOLD * np.percentile(gray, 99)
    labels, count = ndimage.label(head)
    if count == 0:
        return np.zeros(gray.shape, dtype=bool)
    sizes = np.bincount(labels.ravel())[1:]
    head = ndimage.binary_fill_holes(labels == 1 + np.argmax(sizes))
    depth = ndimage.distance_transform_edt(head)
    return depth > skull_fraction * depth.max()
