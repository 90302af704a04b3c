"""Checks for lesson 03's exercises (a CNN of your own)."""

from __future__ import annotations

from collections.abc import Callable

import keras

from mri_course.models.cnn import MOMENTUM


def _kind(layer: keras.layers.Layer) -> str:
    """The layer's type, with ``Activation("relu")`` counted as a ``ReLU``."""
    is_relu = isinstance(layer, keras.layers.Activation) and layer.activation.__name__ == "relu"
    return "ReLU" if is_relu else type(layer).__name__


_BLOCK = ["Conv2D", "BatchNormalization", "ReLU"]


def check_conv_block(conv_block: Callable) -> str:
    for convs in (2, 1):
        inputs = keras.Input((16, 16, 3))
        outputs = conv_block(inputs, 8, "b1", convs=convs)
        model = keras.Model(inputs, outputs)
        kinds = [_kind(layer) for layer in model.layers[1:]]
        expected = _BLOCK * convs + ["MaxPooling2D"]
        assert kinds == expected, f"with convs={convs} the layers are {kinds}; expected {expected}"
        names = [layer.name for layer in model.layers[1:]]
        wanted = [f"b1_{part}{k}" for k in range(1, convs + 1) for part in ("conv", "bn", "relu")]
        assert names == [*wanted, "b1_pool"], (
            f"layer names {names}; expected {wanted + ['b1_pool']}"
        )
        for layer in model.layers[1:]:
            if isinstance(layer, keras.layers.Conv2D):
                assert layer.kernel_size == (3, 3), (
                    f"{layer.name}: 3x3 filters, not {layer.kernel_size}"
                )
                assert layer.filters == 8, f"{layer.name}: {layer.filters} filters, expected 8"
                assert layer.padding == "same", (
                    f"{layer.name}: padding '{layer.padding}'; use 'same' so the size only "
                    "changes at the pooling"
                )
                assert not layer.use_bias, (
                    f"{layer.name} has a bias: the batch norm after it adds its own shift"
                )
            if isinstance(layer, keras.layers.BatchNormalization):
                assert layer.momentum == MOMENTUM, (
                    f"{layer.name} has momentum {layer.momentum}; use MOMENTUM ({MOMENTUM}), so "
                    "its running averages keep up with the training"
                )
        assert tuple(outputs.shape) == (None, 8, 8, 8), (
            f"output shape {tuple(outputs.shape)}; expected (None, 8, 8, 8): 8 filters, half "
            "the height and width"
        )
    return "conv, batch norm, ReLU (twice), then 2x2 max pooling, named for Grad-CAM"


def _parameters_mistake(found, kernel: int, channels: int, filters: int, bias: bool) -> str:
    """The misconception behind a wrong parameter count, in a sentence (or "")."""
    weights = filters * kernel * kernel * channels
    if bias and found == weights:
        return "you left out the biases: with use_bias=True every filter also has a bias"
    if not bias and found == weights + filters:
        return "you counted biases, but use_bias=False: this layer has none"
    if found == filters * (kernel * kernel + int(bias)):
        return (
            "your count does not grow with the input channels: a filter has its own "
            f"{kernel}x{kernel} weights for every channel it reads"
        )
    if found * filters == weights + filters * int(bias):
        return f"you counted one filter; the layer has {filters}, each with its own weights"
    return ""


def check_conv2d_parameters(conv2d_parameters: Callable) -> str:
    cases = [(3, 3, 64, True), (3, 64, 64, False), (1, 728, 1024, False), (5, 16, 32, True)]
    for kernel, channels, filters, bias in cases:
        layer = keras.layers.Conv2D(filters, kernel, use_bias=bias)
        layer.build((None, 32, 32, channels))
        expected = layer.count_params()
        found = conv2d_parameters(kernel, channels, filters, use_bias=bias)
        if found != expected:
            layer_text = (
                f"{kernel}x{kernel} conv, {channels} input channels, {filters} filters, "
                f"use_bias={bias}"
            )
            mistake = _parameters_mistake(found, kernel, channels, filters, bias)
            detail = mistake or f"you counted {found}, Keras counts {expected}"
            raise AssertionError(f"{layer_text}: {detail}")
    return "matches Keras for 1x1, 3x3 and 5x5 filters, with and without bias"


def _macs_mistake(found, kernel: int, channels: int, filters: int, height: int, width: int):
    """The misconception behind a wrong multiply-accumulate count, in a sentence (or "")."""
    positions, per_value = height * width, kernel * kernel * channels
    if found == positions * filters * channels:
        return (
            f"your count leaves out the filter's {kernel}x{kernel} size: an output value "
            "takes one multiply-accumulate per weight of its filter, across its whole patch"
        )
    if found == positions * filters * kernel * kernel:
        return "your count leaves out the input channels: a filter reads every one of them"
    if found == positions * per_value:
        return f"you counted one filter's output map; each of the {filters} filters makes one"
    if height != width and found in (
        height * height * filters * per_value,
        width * width * filters * per_value,
    ):
        return "height and width must both count (the map is not square)"
    return ""


def check_conv2d_macs(conv2d_macs: Callable) -> str:
    cases = [
        ("the brief's first convolution (3x3, RGB to 512 filters, 224x224)", 3, 3, 512, 224, 224),
        ("a 3x3 convolution, 32 to 32 channels, with a 7x5 output map", 3, 32, 32, 7, 5),
        ("a 1x1 convolution, 64 to 128 channels, on a 10x20 map", 1, 64, 128, 10, 20),
    ]
    for text, kernel, channels, filters, height, width in cases:
        expected = height * width * filters * kernel * kernel * channels
        found = conv2d_macs(kernel, channels, filters, height, width)
        if found != expected:
            mistake = _macs_mistake(found, kernel, channels, filters, height, width)
            detail = mistake or f"you counted {found:,} multiply-accumulates, expected {expected:,}"
            raise AssertionError(f"{text}: {detail}")
    return "one multiply-accumulate per weight, for every value of the output map"
