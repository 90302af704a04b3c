"""The models: shapes, costs, the reachable feature maps, weights from a file or nowhere."""

import zipfile

import h5py
import keras
import numpy as np
import pytest

from mri_course.config import load_settings
from mri_course.models.cnn import build_brief_cnn, build_compact_cnn, last_conv_layer_name
from mri_course.models.compile import compile_settings
from mri_course.models.costs import conv2d_macs, conv2d_parameters, layer_costs, model_cost
from mri_course.models.shipped import for_inference
from mri_course.models.transfer import (
    XCEPTION_LAST_CONV,
    WeightsUnavailableError,
    build_transfer_model,
    unfreeze_top_blocks,
    xception_weights_for,
)


@pytest.fixture(scope="module")
def xception():
    return build_transfer_model(72, weights=None)


def test_compact_cnn_is_smaller_and_cheaper_than_the_brief_cnn():
    compact, brief = model_cost(build_compact_cnn(128)), model_cost(build_brief_cnn(224))
    assert brief.parameters == 4_775_620  # the brief's "4.8 M parameters"
    assert compact.parameters < brief.parameters / 4
    assert compact.macs < brief.macs / 50
    assert round(brief.gflops) == 33


@pytest.mark.parametrize("build", [build_compact_cnn, build_brief_cnn])
def test_cnns_output_class_probabilities(build):
    model = build(64)
    out = model.predict(np.random.default_rng(0).uniform(0, 255, (3, 64, 64, 3)), verbose=0)
    assert out.shape == (3, 4)
    assert np.allclose(out.sum(axis=1), 1, atol=1e-5)


def test_hand_counted_parameters_agree_with_keras():
    for model in (build_compact_cnn(96), build_brief_cnn(96)):
        for cost in layer_costs(model):
            assert cost.parameters == model.get_layer(cost.name).count_params(), cost.name
    assert conv2d_parameters(3, 3, 64) == 1792
    assert conv2d_parameters(3, 64, 64, use_bias=False) == 36864
    assert conv2d_macs(3, 3, 512, 224, 224) == 224 * 224 * 512 * 27


def test_last_feature_maps_are_found_in_every_model(xception):
    assert last_conv_layer_name(build_compact_cnn(64)) == "block4_relu2"
    assert last_conv_layer_name(build_brief_cnn(64)) == "conv4"
    assert last_conv_layer_name(xception) == XCEPTION_LAST_CONV


def test_xception_is_built_flat_with_its_preprocessing_inside(xception, tmp_path):
    assert not any(isinstance(layer, keras.Model) for layer in xception.layers)
    assert len(xception.layers) > 130
    scale = xception.get_layer("xception_preprocess")
    assert np.allclose(scale(np.array([[0.0, 127.5, 255.0]])), [[-1.0, 0.0, 1.0]])
    path = tmp_path / "xception.keras"
    xception.save(path)
    reloaded = keras.models.load_model(path)
    grad_model = keras.Model(
        reloaded.inputs, [reloaded.get_layer(XCEPTION_LAST_CONV).output, reloaded.output]
    )
    feature_maps, probabilities = grad_model([np.zeros((1, 72, 72, 3))])
    assert feature_maps.shape == (1, 3, 3, 2048) and probabilities.shape == (1, 4)


def test_the_head_is_the_briefs(xception):
    head = [
        xception.get_layer(n)
        for n in ("head_flatten", "head_dropout1", "head_dense", "head_dropout2", "probabilities")
    ]
    assert [type(layer).__name__ for layer in head] == [
        "Flatten",
        "Dropout",
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert (head[1].rate, head[3].rate) == (0.3, 0.25)
    assert (head[2].units, head[4].units) == (128, 4)
    assert head[4].activation.__name__ == "softmax"


def test_weights_come_from_a_local_file(tmp_path):
    reference = keras.applications.Xception(
        include_top=False, weights=None, input_shape=(72, 72, 3)
    )
    kernel = reference.get_layer("block14_sepconv2").get_weights()[0]
    path = tmp_path / "xception_notop.weights.h5"
    reference.save_weights(path)
    model = build_transfer_model(72, weights=path)
    assert np.array_equal(model.get_layer("block14_sepconv2").get_weights()[0], kernel)
    residual = [layer for layer in model.layers if layer.name.startswith("conv2d")]
    assert residual and all(layer.weights for layer in residual)


def test_a_file_that_is_not_xception_weights_is_refused(tmp_path):
    other = tmp_path / "other.weights.h5"
    build_compact_cnn(64).save_weights(other)
    with pytest.raises(WeightsUnavailableError, match="does not hold Xception weights"):
        build_transfer_model(72, weights=other)


def test_offline_imagenet_names_the_setting(monkeypatch):
    import keras.src.applications.xception as xception_module

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(xception_module.file_utils, "get_file", offline)
    with pytest.raises(WeightsUnavailableError) as failure:
        build_transfer_model(72, weights="imagenet")
    message = str(failure.value)
    assert "MRI_COURSE_XCEPTION_WEIGHTS=" in message and "MRI_COURSE_PROFILE=fast" in message


def test_which_weights_each_profile_uses(tmp_path):
    assert xception_weights_for(load_settings({"MRI_COURSE_PROFILE": "fast"})) is None
    assert xception_weights_for(load_settings({"MRI_COURSE_PROFILE": "cpu"})) == "imagenet"
    weights = tmp_path / "w.h5"
    weights.write_bytes(b"x")
    given = load_settings(
        {"MRI_COURSE_PROFILE": "cpu", "MRI_COURSE_XCEPTION_WEIGHTS": str(weights)}
    )
    assert xception_weights_for(given) == weights.resolve()
    missing = load_settings({"MRI_COURSE_XCEPTION_WEIGHTS": str(tmp_path / "nope.h5")})
    with pytest.raises(
        WeightsUnavailableError, match="MRI_COURSE_XCEPTION_WEIGHTS=.* is not a file"
    ):
        xception_weights_for(missing)


def test_too_small_images_are_refused():
    with pytest.raises(ValueError, match="71 px or more"):
        build_transfer_model(64, weights=None)


def test_unfreezing_the_top_blocks(xception):
    unfreeze_top_blocks(xception, 2)
    trainable = {layer.name for layer in xception.layers if layer.trainable and layer.weights}
    assert {"block13_sepconv1", "block14_sepconv2", "head_dense", "probabilities"} <= trainable
    assert "block12_sepconv3" not in trainable
    assert not any(
        isinstance(xception.get_layer(n), keras.layers.BatchNormalization) for n in trainable
    )
    residual_13 = [
        layer.name
        for layer in xception.layers
        if isinstance(layer, keras.layers.Conv2D)
        and layer.name.startswith("conv2d")
        and layer.filters == 1024
    ]
    assert residual_13 and residual_13[0] in trainable  # block13's shortcut learns too
    unfreeze_top_blocks(xception, 0)
    assert {layer.name for layer in xception.layers if layer.trainable and layer.weights} == {
        "head_dense",
        "probabilities",
    }


def test_compile_settings_are_the_briefs():
    settings = compile_settings()
    assert isinstance(settings["optimizer"], keras.optimizers.Adamax)
    assert float(settings["optimizer"].learning_rate) == pytest.approx(0.001)
    assert isinstance(settings["loss"], keras.losses.CategoricalCrossentropy)
    assert [m.name for m in settings["metrics"]] == ["accuracy", "precision", "recall"]


def test_a_model_for_inference_is_saved_without_its_optimizer(tmp_path):
    model = build_compact_cnn(32, widths=(4, 8))
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(np.zeros((4, 32, 32, 3)), np.eye(4), epochs=1, verbose=0)
    for_inference(model).save(tmp_path / "inference.keras")
    with zipfile.ZipFile(tmp_path / "inference.keras") as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as weights:
        assert "optimizer" not in weights
    reloaded = keras.models.load_model(tmp_path / "inference.keras")
    for mine, theirs in zip(reloaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
