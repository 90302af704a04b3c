"""Convolutional networks written from scratch: the compact CNN and the brief's original.

Both take ``uint8``-range RGB images (0..255) and rescale them in their first layer, so a
saved model carries its own preprocessing. Only Keras layers are used, so the models run
on any Keras backend.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from mri_course.data.release import CLASS_NAMES
from mri_course.models.framing import HeadCrop

MOMENTUM = 0.9
"""Batch-norm momentum. Keras' default, 0.99, averages its statistics over ~100 steps, so
early in training the averages that predictions use lag far behind the weights: the CNN
then does well on its training batches and badly on validation. 0.9 follows in ~10 steps."""


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


def build_compact_cnn(
    image_size: int = 128,
    widths: Sequence[int] = (32, 64, 128, 256),
    convs_per_block: int = 2,
    stem_stride: int = 2,
    dropout: float = 0.3,
    name: str = "compact_cnn",
    head_crop: bool = False,
) -> keras.Model:
    """The course's CNN: small, fast on a CPU, and more accurate than the brief's original.

    A strided stem convolution first halves the image (a 128 px scan becomes a 64 px map of
    ``widths[0]`` channels), then one :func:`conv_block` per width doubles the channels while
    halving the map, global average pooling turns the last map into one vector, and a
    single dense layer gives the four class probabilities. Almost all the computing happens
    on small maps, which is what makes it fast.

    With ``head_crop``, a :class:`~mri_course.models.framing.HeadCrop` layer first zooms each
    scan to the square around the head, so the margin each source leaves cannot be learnt.
    """
    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = HeadCrop(name="head_crop")(inputs) if head_crop else inputs
    x = layers.Rescaling(1.0 / 255, name="rescale")(x)
    x = layers.Conv2D(
        widths[0], 3, strides=stem_stride, padding="same", use_bias=False, name="stem_conv"
    )(x)
    x = layers.BatchNormalization(momentum=MOMENTUM, name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for k, width in enumerate(widths, start=1):
        x = conv_block(x, width, name=f"block{k}", convs=convs_per_block)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(len(CLASS_NAMES), activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


def build_brief_cnn(image_size: int = 224, name: str = "brief_cnn") -> keras.Model:
    """The original project's CNN, layer for layer: 4.8 M parameters at 224 px.

    Conv 512-256-128-64 (3x3, ReLU, each followed by 2x2 max pooling, dropout 0.25 after
    the second and third), flatten, dense 256 with L2 regularisation, dropout 0.35, dense 4.
    Its first convolutions run 512 and 256 filters on the full-size image: that is where
    its time goes (lesson 03 measures its seconds per epoch beside the compact CNN's).
    """
    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    for k, (filters, drop) in enumerate([(512, 0.0), (256, 0.25), (128, 0.25), (64, 0.0)], 1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{k}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{k}")(x)
        if drop:
            x = layers.Dropout(drop, name=f"dropout{k}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(
        256, activation="relu", kernel_regularizer=keras.regularizers.l2(0.01), name="dense"
    )(x)
    x = layers.Dropout(0.35, name="dropout_head")(x)
    outputs = layers.Dense(len(CLASS_NAMES), activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


def last_conv_layer_name(model: keras.Model) -> str:
    """The last layer that outputs a 2-D feature map (pooling aside): Grad-CAM's layer.

    ``block14_sepconv2_act`` for the Xception model, the last block's ReLU for the CNNs.
    """
    for layer in reversed(model.layers):
        is_pooling = isinstance(layer, layers.MaxPooling2D | layers.AveragePooling2D)
        if len(layer.output.shape) == 4 and not is_pooling:
            return layer.name
    raise ValueError(f"{model.name} has no layer with a 2-D feature map")
