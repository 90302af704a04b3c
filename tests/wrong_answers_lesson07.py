"""Plausible wrong answers to lesson 07's exercises, each with what its check must say.

``tests/test_exercises.py`` loads ``WRONG_ANSWERS`` from here and asserts that every check
fails on every answer below with a message containing the given words.
"""

import keras
import numpy as np
import tensorflow as tf
from scipy import ndimage

from mri_course.saliency.maps import logit_model
from mri_course.saliency.mask import HEAD_THRESHOLD, circular_mask

# --- 7.1 vanilla_gradient_map -----------------------------------------------------------


def _score_gradients(score_model, images, class_indices, transform=None):
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        scores = score_model(images, training=False)
        if transform is not None:
            scores = transform(scores)
        chosen = tf.one_hot(class_indices, depth=scores.shape[-1], dtype=scores.dtype)
        total = tf.reduce_sum(scores * chosen)
    return tape.gradient(total, images)


def _map_without_abs(score_model, images, class_indices):
    return tf.reduce_max(_score_gradients(score_model, images, class_indices), axis=-1).numpy()


def _map_mean_over_channels(score_model, images, class_indices):
    gradients = _score_gradients(score_model, images, class_indices)
    return tf.reduce_mean(tf.abs(gradients), axis=-1).numpy()


def _map_keeps_channels(score_model, images, class_indices):
    return tf.abs(_score_gradients(score_model, images, class_indices)).numpy()


def _map_of_all_scores(score_model, images, class_indices):
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        total = tf.reduce_sum(score_model(images, training=False))
    return tf.reduce_max(tf.abs(tape.gradient(total, images)), axis=-1).numpy()


def _map_first_class_only(score_model, images, class_indices):
    first = np.full(len(images), np.asarray(class_indices)[0])
    gradients = _score_gradients(score_model, images, first)
    return tf.reduce_max(tf.abs(gradients), axis=-1).numpy()


def _map_of_softmax(score_model, images, class_indices):
    gradients = _score_gradients(score_model, images, class_indices, transform=tf.nn.softmax)
    return tf.reduce_max(tf.abs(gradients), axis=-1).numpy()


# --- 7.2 gradcam_channel_weights --------------------------------------------------------


def _feature_gradients(model, images, class_indices, layer_name, of_softmax=False):
    if of_softmax:  # the keras.io example's grad model: the softmax output, not the logit
        grad_model = keras.Model(model.input, [model.get_layer(layer_name).output, model.output])
    else:
        grad_model = logit_model(model, feature_layer=layer_name)
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    with tf.GradientTape() as tape:
        feature_maps, scores = grad_model(images, training=False)
        chosen = tf.one_hot(class_indices, depth=scores.shape[-1], dtype=scores.dtype)
        total = tf.reduce_sum(scores * chosen)
    return feature_maps, tape.gradient(total, feature_maps)


def _weights_of_softmax(model, images, class_indices, layer_name):
    feature_maps, gradients = _feature_gradients(
        model, images, class_indices, layer_name, of_softmax=True
    )
    return feature_maps.numpy(), tf.reduce_mean(gradients, axis=(1, 2)).numpy()


def _weights_summed(model, images, class_indices, layer_name):
    feature_maps, gradients = _feature_gradients(model, images, class_indices, layer_name)
    return feature_maps.numpy(), tf.reduce_sum(gradients, axis=(1, 2)).numpy()


def _weights_over_channels(model, images, class_indices, layer_name):
    feature_maps, gradients = _feature_gradients(model, images, class_indices, layer_name)
    return feature_maps.numpy(), tf.reduce_mean(gradients, axis=-1).numpy()


def _weights_only(model, images, class_indices, layer_name):
    _, gradients = _feature_gradients(model, images, class_indices, layer_name)
    return tf.reduce_mean(gradients, axis=(1, 2)).numpy()


# --- 7.3 brain_mask ---------------------------------------------------------------------


def _gray(image):
    gray = np.asarray(image, dtype=np.float64)
    return gray.mean(axis=-1) if gray.ndim == 3 else gray


def _head_steps(image, largest=True, fill=True):
    gray = _gray(image)
    head = gray > HEAD_THRESHOLD * np.percentile(gray, 99)
    labels, count = ndimage.label(head)
    if count == 0:
        return np.zeros(gray.shape, dtype=bool)
    if largest:
        head = labels == 1 + np.argmax(np.bincount(labels.ravel())[1:])
    return ndimage.binary_fill_holes(head) if fill else head


def _peel(head, skull_fraction):
    depth = ndimage.distance_transform_edt(head)
    return depth > skull_fraction * depth.max() if head.any() else head


def _mask_without_filling(image, skull_fraction=0.1):
    return _peel(_head_steps(image, fill=False), skull_fraction)


def _mask_every_component(image, skull_fraction=0.1):
    return _peel(_head_steps(image, largest=False), skull_fraction)


def _mask_with_skull(image, skull_fraction=0.1):
    return _head_steps(image)


def _mask_fixed_circle(image, skull_fraction=0.1):
    return circular_mask(*np.asarray(image).shape[:2])


WRONG_ANSWERS = {
    "7.1": [
        (_map_without_abs, "absolute value"),
        (_map_mean_over_channels, "averaged the three channels"),
        (_map_keeps_channels, "one value per pixel"),
        (_map_of_all_scores, "sum of all four class scores"),
        (_map_first_class_only, "same class"),
        (_map_of_softmax, "a softmax?"),
    ],
    "7.2": [
        (_weights_of_softmax, "softmax probability"),
        (_weights_summed, "summed the gradients"),
        (_weights_over_channels, "averaged over the channels"),
        (_weights_only, "return a pair"),
    ],
    "7.3": [
        (_mask_without_filling, "fill the holes"),
        (_mask_every_component, "largest connected component"),
        (_mask_with_skull, "peel off the skull"),
        (_mask_fixed_circle, "find it from the pixels"),
    ],
}
