"""Checks for lesson 02's exercises (transfer learning)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from functools import cache

import keras

from mri_course.models.transfer import build_transfer_model, xception_block_of

_HEAD = [
    ("Flatten", "head_flatten"),
    ("Dropout", "head_dropout1"),
    ("Dense", "head_dense"),
    ("Dropout", "head_dropout2"),
    ("Dense", "probabilities"),
]


def check_classification_head(classification_head: Callable) -> str:
    features = keras.Input((2048,), name="features")
    outputs = classification_head(features)
    assert isinstance(outputs, keras.KerasTensor), (
        f"return the output tensor of the last layer, got {type(outputs).__name__}"
    )
    model = keras.Model(features, outputs)
    found = [(type(layer).__name__, layer.name) for layer in model.layers[1:]]
    assert [kind for kind, _ in found] == [kind for kind, _ in _HEAD], (
        f"layers {[kind for kind, _ in found]}; the brief's head is Flatten, Dropout, Dense, "
        "Dropout, Dense"
    )
    assert [name for _, name in found] == [name for _, name in _HEAD], (
        f"layer names {[name for _, name in found]}; expected {[name for _, name in _HEAD]} "
        "(later lessons find the layers by name)"
    )
    drop1, dense, drop2, out = (model.get_layer(name) for _, name in _HEAD[1:])
    assert (drop1.rate, drop2.rate) == (0.3, 0.25), (
        f"dropout rates {drop1.rate} and {drop2.rate}; the brief drops 0.3, then 0.25"
    )
    assert dense.units == 128 and dense.activation.__name__ == "relu", (
        f"the hidden layer has {dense.units} units with {dense.activation.__name__}; "
        "expected 128 with relu"
    )
    assert out.units == 4 and out.activation.__name__ == "softmax", (
        f"the output layer has {out.units} units with {out.activation.__name__}; expected 4 "
        "with softmax, so the outputs are probabilities that sum to 1"
    )
    assert tuple(outputs.shape) == (None, 4), f"output shape {tuple(outputs.shape)}"
    assert model.count_params() == 2048 * 128 + 128 + 128 * 4 + 4
    maps = keras.Input((2, 2, 8))
    assert tuple(classification_head(maps).shape) == (None, 4), (
        "the head must also work on feature maps: flatten first"
    )
    return "Flatten, Dropout 0.3, Dense 128 relu, Dropout 0.25, Dense 4 softmax: 262,788 weights"


def check_compile_settings(compile_settings: Callable) -> str:
    settings = compile_settings()
    assert isinstance(settings, dict), f"return a dict, got {type(settings).__name__}"
    assert set(settings) == {"optimizer", "loss", "metrics"}, (
        f"keys {sorted(settings)}; expected optimizer, loss and metrics"
    )
    optimizer = settings["optimizer"]
    assert isinstance(optimizer, keras.optimizers.Adamax), (
        f"the optimizer is {type(optimizer).__name__}; the brief uses Adamax"
    )
    assert abs(float(optimizer.learning_rate) - 0.001) < 1e-9, (
        f"default learning rate {float(optimizer.learning_rate)}; expected 0.001"
    )
    faster = compile_settings(learning_rate=0.01)["optimizer"]
    assert abs(float(faster.learning_rate) - 0.01) < 1e-9, (
        "compile_settings(learning_rate=0.01) must give the optimizer that learning rate"
    )
    loss = settings["loss"]
    assert isinstance(loss, keras.losses.CategoricalCrossentropy), (
        f"the loss is {type(loss).__name__}; the labels are one-hot, so use "
        "CategoricalCrossentropy (the sparse one expects class numbers)"
    )
    assert not loss.get_config().get("from_logits"), (
        "the model ends in a softmax: its outputs are probabilities, not logits"
    )
    names = [getattr(metric, "name", metric) for metric in settings["metrics"]]
    assert names == ["accuracy", "precision", "recall"], (
        f"metrics named {names}; expected accuracy, precision and recall in that order"
    )
    kinds = [type(metric).__name__ for metric in settings["metrics"]]
    assert kinds[0] in ("str", "CategoricalAccuracy"), (
        f"the accuracy metric is {kinds[0]}; with one-hot labels use CategoricalAccuracy "
        "(Accuracy compares the four numbers one by one, not the predicted class)"
    )
    assert kinds[1:] == ["Precision", "Recall"], f"metric types {kinds}"
    return "Adamax at the given learning rate, categorical cross-entropy, three named metrics"


@cache
def _small_transfer_model() -> keras.Model:
    with contextlib.redirect_stdout(io.StringIO()):  # no "random weights" notice here
        return build_transfer_model(72, weights=None)


def _trainable(model: keras.Model) -> set[str]:
    return {layer.name for layer in model.layers if layer.trainable and layer.weights}


def check_unfreeze_top_blocks(unfreeze_top_blocks: Callable) -> str:
    model = _small_transfer_model()
    block_of = xception_block_of(model)
    for blocks in (2, 0, 5):
        result = unfreeze_top_blocks(model, blocks)
        assert result is model, "return the model you were given (changed in place)"
        trainable = _trainable(model)
        expected_blocks = {f"block{n}" for n in range(15 - blocks, 15)}
        for name in ("head_dense", "probabilities"):
            assert name in trainable, f"{name} must stay trainable: the head always learns"
        norms = [
            n for n in trainable if isinstance(model.get_layer(n), keras.layers.BatchNormalization)
        ]
        assert not norms, (
            f"batch normalisation layers must stay frozen (e.g. {norms[0]}): unfrozen, they "
            "re-estimate their statistics from small batches and spoil the pretrained weights"
        )
        wrong = sorted(n for n in trainable if n in block_of and block_of[n] not in expected_blocks)
        assert not wrong, f"with blocks={blocks}, {wrong[0]} (in {block_of[wrong[0]]}) is trainable"
        missing = sorted(
            n
            for n, b in block_of.items()
            if b in expected_blocks
            and model.get_layer(n).weights
            and not isinstance(model.get_layer(n), keras.layers.BatchNormalization)
            and n not in trainable
        )
        assert not missing, f"with blocks={blocks}, {missing[0]} should be trainable"
    return "the top blocks and the head train, everything else and every batch norm is frozen"
