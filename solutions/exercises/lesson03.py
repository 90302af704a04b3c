"""Reference solutions of lesson 03 (a cnn of your own).

Each function is the package's own code, copied from the module named above it: the
course runs exactly this. Edit the package, then run
`python -m mri_course.exercises.generate` to refresh this file.
"""

from __future__ import annotations

import keras
from keras import layers

from mri_course.models.cnn import MOMENTUM


# Exercise 3.1, from mri_course/models/cnn.py
def conv_block(x: keras.KerasTensor, filters: int, name: str, convs: int = 2) -> keras.KerasTensor:
    """A VGG-style block: ``convs`` times (3x3 convolution, batch norm, ReLU), then 2x2 max pool.

    Batch normalisation keeps each layer's inputs at a steady scale, which lets the network
    train quickly at a high learning rate; it uses ``momentum=MOMENTUM`` (0.9: its running
    averages must keep up, see ``MOMENTUM``). The convolution has no bias because the batch
    normalisation right after it adds its own shift. Pooling halves the height and width,
    so the next block sees a wider part of the scan.

    Args:
        x: the input feature map, shape ``(batch, height, width, channels)``.
        filters: the number of 3x3 filters of each convolution.
        name: prefix of the layer names: ``{name}_conv1``, ``{name}_bn1``, ``{name}_relu1``,
            ..., ``{name}_pool``.
        convs: how many convolutions before the pooling.

    Returns:
        The block's output, with ``filters`` channels and half the height and width.

    Hints:
        - Loop `for k in range(1, convs + 1):` and call three layers on `x` each time.
        - `layers.Conv2D(filters, 3, padding="same", use_bias=False, name=...)`.
        - End with `layers.MaxPooling2D(2, name=f"{name}_pool")(x)`.
    """
    for k in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{k}")(x)
        x = layers.BatchNormalization(momentum=MOMENTUM, name=f"{name}_bn{k}")(x)
        x = layers.ReLU(name=f"{name}_relu{k}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


# Exercise 3.2, from mri_course/models/costs.py
def conv2d_parameters(
    kernel_size: int, in_channels: int, filters: int, use_bias: bool = True
) -> int:
    """The number of weights of a 2-D convolution layer.

    Each of the ``filters`` filters has one ``kernel_size`` x ``kernel_size`` weight per
    input channel, plus one bias when ``use_bias`` is True. The size of the image does not
    matter: the same filter slides over every position.

    Args:
        kernel_size: the side of the square filter (3 for a 3x3 convolution).
        in_channels: the channels of the layer's input.
        filters: the number of filters (the output channels).
        use_bias: whether each filter has a bias.

    Returns:
        The parameter count, e.g. 1792 for a 3x3 convolution of 64 filters over RGB.

    Hints:
        - One filter has `kernel_size * kernel_size * in_channels` weights.
        - Add one bias per filter when `use_bias` is True.
    """
    return filters * (kernel_size * kernel_size * in_channels + (1 if use_bias else 0))


# Exercise 3.3, from mri_course/models/costs.py
def conv2d_macs(
    kernel_size: int, in_channels: int, filters: int, out_height: int, out_width: int
) -> int:
    """Multiply-accumulate operations of one 2-D convolution on one image.

    Every output value (``out_height * out_width * filters`` of them) is a dot product of a
    ``kernel_size * kernel_size * in_channels`` patch with a filter: one multiply-accumulate
    per weight. A FLOP count is about twice this.

    Args:
        kernel_size: the side of the square filter.
        in_channels: the channels of the layer's input.
        filters: the number of filters.
        out_height: the height of the output feature map.
        out_width: the width of the output feature map.

    Returns:
        The number of multiply-accumulates.

    Hints:
        - How many output values are there? `out_height * out_width * filters`.
        - Each output value takes one multiply-accumulate per weight of its filter.
    """
    return out_height * out_width * filters * kernel_size * kernel_size * in_channels
