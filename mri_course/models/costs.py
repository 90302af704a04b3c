"""What a network costs: parameters to store and multiply-accumulates to compute.

Counting them by hand for one convolution is the lesson (a 3x3 filter over 64 channels
has 3 * 3 * 64 weights, plus a bias); the tables below apply the same formulas to every
layer of a model, so the lesson's numbers and the package's are the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers


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


@dataclass(frozen=True)
class LayerCost:
    name: str
    kind: str
    output_shape: tuple
    parameters: int
    macs: int


def layer_costs(model: keras.Model) -> list[LayerCost]:
    """Parameters and multiply-accumulates of each layer that has weights."""
    costs = []
    for layer in model.layers:
        if not layer.weights:
            continue
        out = tuple(layer.output.shape[1:])
        macs = 0
        if isinstance(layer, layers.SeparableConv2D):
            k, c = layer.kernel_size[0], layer.input.shape[-1]
            depthwise = out[0] * out[1] * c * k * k
            macs = depthwise + conv2d_macs(1, c, layer.filters, out[0], out[1])
            params = layer.count_params()
        elif isinstance(layer, layers.Conv2D):
            k, c = layer.kernel_size[0], layer.input.shape[-1]
            params = conv2d_parameters(k, c, layer.filters, layer.use_bias)
            macs = conv2d_macs(k, c, layer.filters, out[0], out[1])
        elif isinstance(layer, layers.Dense):
            params = layer.count_params()
            macs = layer.input.shape[-1] * layer.units
        else:
            params = layer.count_params()
        costs.append(LayerCost(layer.name, type(layer).__name__, out, params, macs))
    return costs


@dataclass(frozen=True)
class ModelCost:
    name: str
    image_size: int
    parameters: int
    macs: int  # per image, forward pass

    @property
    def gflops(self) -> float:
        """Billions of floating-point operations per image (2 per multiply-accumulate)."""
        return 2 * self.macs / 1e9


def model_cost(model: keras.Model) -> ModelCost:
    """A model's parameters (as Keras counts them) and multiply-accumulates per image."""
    return ModelCost(
        name=model.name,
        image_size=int(model.input_shape[1]),
        parameters=model.count_params(),
        macs=sum(cost.macs for cost in layer_costs(model)),
    )
