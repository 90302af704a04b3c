"""Lesson 07 exercises: saliency maps you can trust.

Replace each `raise NotImplementedError(...)` with your code, then run the exercise's
check in lessons/07_saliency.ipynb (or `mri-course progress`). Until you do, the
lesson runs the reference solution, so it never stops half-way. When you are done,
compare with solutions/exercises/lesson07.py.

Generated from the package's reference code by `python -m mri_course.exercises.generate`.
"""

# ruff: noqa: F401  (the imports are tools you may want; not every one is needed)

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from scipy import ndimage

from mri_course.exercises.runtime import exercise
from mri_course.saliency.maps import logit_model
from mri_course.saliency.mask import HEAD_THRESHOLD, SKULL_FRACTION


@exercise("7.1")
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
    raise NotImplementedError("Exercise 7.1: write vanilla_gradient_map here")


@exercise("7.2")
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
    raise NotImplementedError("Exercise 7.2: write gradcam_channel_weights here")


@exercise("7.3")
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
    raise NotImplementedError("Exercise 7.3: write brain_mask here")
