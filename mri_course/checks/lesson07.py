"""Checks for lesson 07's exercises (saliency maps you can trust).

The gradient checks run the learner's function on tiny Keras models whose gradients are
known in closed form (a linear score; global average pooling into a dense layer), so a
wrong answer can be told apart from a right one and named.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
from scipy import ndimage

from mri_course.data.synthetic import render_scan
from mri_course.saliency.maps import vanilla_gradient_map
from mri_course.saliency.mask import brain_mask


def _close(found: np.ndarray, expected: np.ndarray, tolerance: float = 1e-4) -> bool:
    found = np.asarray(found, dtype=np.float64)
    return found.shape == expected.shape and np.allclose(
        found, expected, rtol=tolerance, atol=tolerance * float(np.abs(expected).max())
    )


# --- 7.1 vanilla_gradient_map -----------------------------------------------------------


def _linear_scores(kernel: np.ndarray, shape: tuple[int, int, int]) -> keras.Model:
    """images -> images.flatten() @ kernel: the gradient of score c is kernel[:, c]."""
    inputs = keras.Input(shape)
    dense = keras.layers.Dense(kernel.shape[1], name="scores")
    outputs = dense(keras.layers.Flatten()(inputs))
    dense.set_weights(
        [kernel.astype("float32"), np.linspace(-1, 1, kernel.shape[1], dtype="float32")]
    )
    return keras.Model(inputs, outputs)


def _small_cnn(rng: np.random.Generator, shape: tuple[int, int, int]) -> keras.Model:
    inputs = keras.Input(shape)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def check_vanilla_gradient_map(vanilla_gradient_map_: Callable) -> str:
    rng = np.random.default_rng(6)
    shape = (6, 5, 3)
    kernel = rng.normal(size=(int(np.prod(shape)), 4))
    model = _linear_scores(kernel, shape)
    images = rng.uniform(0, 255, size=(2, *shape)).astype("float32")
    classes = np.array([2, 0])
    found = np.asarray(vanilla_gradient_map_(model, images.copy(), classes))
    gradient = kernel.T.reshape(4, *shape)  # the gradient of each class score
    expected = np.abs(gradient[classes]).max(axis=-1)

    assert found.shape != (2, *shape), (
        f"the map has shape {found.shape}: keep one value per pixel, the largest of the three "
        "channels (`tf.reduce_max(..., axis=-1)`)"
    )
    assert found.shape == expected.shape, (
        f"two 6x5 images gave a map of shape {found.shape}; expected {expected.shape}, one "
        "(height, width) map per image"
    )
    assert found.min() >= 0, (
        f"the map has negative values ({found.min():.3f}): take the absolute value of the "
        "gradient, whose sign only says in which direction a pixel moves the score"
    )
    if _close(found, np.abs(gradient[classes]).mean(axis=-1)):
        raise AssertionError(
            "you averaged the three channels; the brief takes the maximum over the channels"
        )
    if _close(found, np.abs(gradient.sum(axis=0)).max(axis=-1)[np.newaxis].repeat(2, 0)):
        raise AssertionError(
            "this is the gradient of the sum of all four class scores; differentiate each "
            "image's own class score, e.g. `tf.reduce_sum(scores * tf.one_hot(class_indices, 4))`"
        )
    if _close(found, expected[[0, 0]]) or _close(found, expected[[1, 1]]):
        raise AssertionError(
            "both images got the map of the same class: use each image's own class_indices"
        )
    assert _close(found, expected), (
        "on a linear score (whose gradient is its weights) the map differs from the "
        f"expected one by up to {np.abs(found - expected).max():.4g}; did you change the "
        "scores (a softmax?) or forget the absolute value?"
    )
    cnn = _small_cnn(rng, (8, 8, 3))
    batch = rng.uniform(0, 255, size=(3, 8, 8, 3)).astype("float32")
    found = np.asarray(vanilla_gradient_map_(cnn, batch, np.array([0, 1, 2])))
    expected = vanilla_gradient_map(cnn, batch, np.array([0, 1, 2]))
    assert _close(found, expected), (
        "on a small CNN your map differs from the gradient map by up to "
        f"{np.abs(found - expected).max():.4g}"
    )
    return "abs of the class score's gradient, max over channels, one map per image"


# --- 7.2 gradcam_channel_weights --------------------------------------------------------


def _pooled_classifier(rng: np.random.Generator, scale: float) -> keras.Model:
    """conv (named 'features') -> global average pooling -> Dense(4, softmax)."""
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="features")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(4, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs)
    model.get_layer("features").set_weights(
        [rng.normal(0, 0.01, size=(3, 3, 3, 6)).astype("float32"), np.ones(6, "float32")]
    )
    model.get_layer("probabilities").set_weights(
        [scale * rng.normal(size=(6, 4)).astype("float32"), np.zeros(4, "float32")]
    )
    return model


def check_gradcam_channel_weights(gradcam_channel_weights: Callable) -> str:
    rng = np.random.default_rng(62)
    model = _pooled_classifier(rng, scale=30.0)
    images = rng.uniform(0, 255, size=(2, 8, 8, 3)).astype("float32")
    probabilities = np.asarray(model(images))
    predicted = probabilities.argmax(axis=1)
    assert probabilities.max(axis=1).min() > 0.999, "internal: the check's model must be sure"
    classes = np.array([predicted[0], (predicted[0] + 1) % 4])  # two different classes
    kernel = model.get_layer("probabilities").get_weights()[0]

    answer = gradcam_channel_weights(model, images.copy(), classes, "features")
    assert isinstance(answer, tuple) and len(answer) == 2, (
        f"return a pair (feature_maps, weights), not a {type(answer).__name__}"
    )
    feature_maps, weights = (np.asarray(part, dtype=np.float64) for part in answer)
    layer = keras.Model(model.input, model.get_layer("features").output)
    assert _close(feature_maps, np.asarray(layer(images))), (
        f"feature_maps (shape {feature_maps.shape}) are not the output of the layer "
        "'features' for these images, shape (2, 8, 8, 6)"
    )
    assert weights.shape != (2, 8, 8), (
        "weights have shape (2, 8, 8): you averaged over the channels; Grad-CAM gives one "
        "weight per channel, the mean over height and width (axis=(1, 2))"
    )
    assert weights.shape == (2, 6), (
        f"weights have shape {weights.shape}; expected (2, 6): one weight per channel of the "
        "6-channel feature map, for each of the 2 images"
    )
    # With global average pooling, logit_c = sum_k W[k, c] * mean(A_k) + b_c, so the gradient
    # with respect to every position of channel k is W[k, c] / 64, and so is its mean.
    expected = kernel[:, classes].T / 64.0
    if _close(weights, 64.0 * expected):
        raise AssertionError(
            "your weights are 64 times too large on an 8x8 map: you summed the gradients "
            "over height and width; Grad-CAM takes their mean"
        )
    if _close(weights, expected[[0, 0]]) or _close(weights, expected[[1, 1]]):
        raise AssertionError("both images got the weights of the same class: use class_indices")
    ratio = np.abs(weights).max() / np.abs(expected).max()
    if ratio < 0.05:
        raise AssertionError(
            f"your weights are about {ratio:.0e} of the expected size: these are gradients of "
            "the softmax probability, which is flat when the model is sure (here p > 0.999). "
            "Differentiate the logit: `logit_model(model, feature_layer=layer_name)`"
        )
    assert _close(weights, expected), (
        f"the weights differ from the mean gradient of the class logit by up to "
        f"{np.abs(weights - expected).max():.3g} (expected e.g. {expected[0, :3].round(4)}, got "
        f"{weights[0, :3].round(4)})"
    )
    return "the mean gradient of the class logit over each channel's map"


# --- 7.3 brain_mask ---------------------------------------------------------------------


def _off_centre_scan() -> tuple[np.ndarray, dict[str, tuple[slice, slice]]]:
    """A synthetic head in the top left of a larger black image, with a black cavity inside
    the brain and a bright block far from the head (like a label burnt into a scan)."""
    gray, _ = render_scan("notumor", 64, np.random.default_rng(61))
    canvas = np.zeros((96, 96), dtype=np.uint8)
    canvas[2:66, 4:68] = gray
    places = {"cavity": (slice(30, 34), slice(22, 26)), "speck": (slice(82, 92), slice(82, 92))}
    canvas[places["cavity"]] = 0
    canvas[places["speck"]] = 230
    return np.repeat(canvas[..., np.newaxis], 3, axis=-1), places


def check_brain_mask(brain_mask_: Callable) -> str:
    image, places = _off_centre_scan()
    found = np.asarray(brain_mask_(image.copy()))
    expected = brain_mask(image)
    assert found.shape == expected.shape, (
        f"the mask has shape {found.shape}; expected {expected.shape}, one value per pixel"
    )
    assert found.dtype == bool, f"the mask has dtype {found.dtype}; return booleans"
    assert not found[places["speck"]].any(), (
        "a bright patch far from the head is in your mask: keep only the largest connected "
        "component (`ndimage.label`, then the label with the most pixels)"
    )
    assert found[places["cavity"]].all(), (
        "a dark cavity inside the brain is left out of your mask: fill the holes "
        "(`ndimage.binary_fill_holes`)"
    )
    if found.any():
        offset = np.abs(np.argwhere(found).mean(axis=0) - np.argwhere(expected).mean(axis=0))
        assert offset.max() < 3, (
            f"your mask's centre is {offset.max():.0f} pixels from the brain's: the head is in "
            "the top left of this image; find it from the pixels, not at a fixed place"
        )
    head = ndimage.binary_fill_holes(brain_mask(image, skull_fraction=0.0))
    rim = head & ~ndimage.binary_erosion(head, iterations=2)
    assert found[rim].mean() < 0.5, (
        f"your mask covers {found[rim].mean():.0%} of the head's outer edge: peel off the "
        "skull, keeping the pixels farther from the background than skull_fraction of the "
        "largest distance (`ndimage.distance_transform_edt`)"
    )
    overlap = (found & expected).sum() / max(1, (found | expected).sum())
    assert overlap > 0.95, (
        f"your mask and the brain overlap by {overlap:.0%} (intersection over union); follow "
        "the steps of the docstring"
    )
    kept = np.asarray(brain_mask_(image.copy(), skull_fraction=0.0))
    assert (kept & head).sum() / max(1, (kept | head).sum()) > 0.95, (
        "with skull_fraction=0 the mask should be the whole head, skull included"
    )
    black = np.asarray(brain_mask_(np.zeros((16, 16, 3), dtype=np.uint8)))
    assert black.shape == (16, 16) and not black.any(), (
        "an all-black image has no brain: return an all-False mask"
    )
    return "the head found in the image, without specks, holes filled, skull peeled off"
