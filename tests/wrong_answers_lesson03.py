"""Plausible wrong answers to lesson 03's exercises: each check must fail on them."""


def _wrong_block_without_norm(x, filters, name, convs=2):
    from keras import layers

    for k in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{k}")(x)
        x = layers.ReLU(name=f"{name}_relu{k}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def _wrong_block_with_bias(x, filters, name, convs=2):
    from keras import layers

    for k in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv{k}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{k}")(x)
        x = layers.ReLU(name=f"{name}_relu{k}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def _wrong_block_valid_padding(x, filters, name, convs=2):
    from keras import layers

    for k in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, use_bias=False, name=f"{name}_conv{k}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{k}")(x)
        x = layers.ReLU(name=f"{name}_relu{k}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def _wrong_block_default_momentum(x, filters, name, convs=2):
    from keras import layers

    for k in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{k}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{k}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{k}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def _wrong_parameters_without_bias(kernel_size, in_channels, filters, use_bias=True):
    return filters * kernel_size * kernel_size * in_channels


def _wrong_parameters_without_channels(kernel_size, in_channels, filters, use_bias=True):
    return filters * (kernel_size * kernel_size + int(use_bias))


def _wrong_parameters_bias_always(kernel_size, in_channels, filters, use_bias=True):
    return filters * (kernel_size * kernel_size * in_channels + 1)


def _wrong_macs_without_kernel(kernel_size, in_channels, filters, out_height, out_width):
    return out_height * out_width * filters * in_channels


def _wrong_macs_one_filter(kernel_size, in_channels, filters, out_height, out_width):
    return out_height * out_width * kernel_size * kernel_size * in_channels


def _wrong_macs_square_map(kernel_size, in_channels, filters, out_height, out_width):
    return out_height * out_height * filters * kernel_size * kernel_size * in_channels


WRONG_ANSWERS = {
    "3.1": [
        (_wrong_block_without_norm, "layers are"),
        (_wrong_block_with_bias, "has a bias"),
        (_wrong_block_valid_padding, "padding"),
        (_wrong_block_default_momentum, "momentum 0.99"),
    ],
    "3.2": [
        (_wrong_parameters_without_bias, "you left out the biases"),
        (_wrong_parameters_without_channels, "does not grow with the input channels"),
        (_wrong_parameters_bias_always, "but use_bias=False"),
    ],
    "3.3": [
        (_wrong_macs_without_kernel, "leaves out the filter's 3x3 size"),
        (_wrong_macs_one_filter, "you counted one filter's output map"),
        (_wrong_macs_square_map, "not square"),
    ],
}
