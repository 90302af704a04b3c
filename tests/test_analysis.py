"""Analysing one scan with one model: the compiled maps equal lesson 07's, and the analysis
holds what the app shows and what the report says."""

from __future__ import annotations

import dataclasses
import json

import keras
import numpy as np
import pytest
from app_models import fast_models_dir
from bad_scans import scan_gray

from mri_course.app.analysis import NOT_A_DIAGNOSTIC_DEVICE, CompiledModel, analyse_scan, scan_key
from mri_course.app.not_mri import not_mri_image
from mri_course.app.ood import FeatureDetector, detector_path
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.release import CLASS_NAMES
from mri_course.evaluation.uncertainty import Uncertainty
from mri_course.explain import offline_explanation
from mri_course.saliency.maps import saliency_map
from mri_course.saliency.names import APP_METHODS
from mri_course.saliency.summary import EmptySaliencyError
from mri_course.training.save import load_card


@pytest.fixture(scope="module")
def models():
    folder = fast_models_dir()
    return {
        name: keras.models.load_model(folder / f"{name}.keras", compile=False)
        for name in ("cnn_fast", "xception_fast")
    }


@pytest.fixture(scope="module")
def compiled(models):
    return {name: CompiledModel(model) for name, model in models.items()}


def _scan(label="glioma", seed=0, size=200):
    return np.repeat(scan_gray(size, label, seed)[..., np.newaxis], 3, axis=-1)


@pytest.mark.parametrize("name", ["cnn_fast", "xception_fast"])
@pytest.mark.parametrize("method", ["gradcam", "brief", "gradient", "smoothgrad"])
def test_the_compiled_maps_are_lesson_06s_maps(models, compiled, name, method):
    model, fast = models[name], compiled[name]
    image = prepare_pixels(_scan(), fast.image_size)
    # Every class, not only the predicted one: a class the scan speaks against has negative
    # Grad-CAM evidence, which the ReLU must remove exactly as lesson 07 does.
    classes = range(4) if method in ("gradcam", "gradient") else [None]
    for class_index in classes:
        expected = saliency_map(model, image, method, class_index)
        got = fast.maps(image[np.newaxis], method, np.array([expected.class_index]))[0]
        scale = max(float(np.abs(expected.raw).max()), 1e-12)
        assert got.shape == expected.raw.shape and got.min() >= 0
        assert np.allclose(got, expected.raw, atol=1e-4 * scale, rtol=1e-3), class_index


def test_the_compiled_prediction_is_the_models(models, compiled):
    batch = np.stack([prepare_pixels(_scan(label), 64) for label in CLASS_NAMES])
    probabilities, features = compiled["cnn_fast"].predict(batch)
    assert np.allclose(probabilities, models["cnn_fast"].predict(batch, verbose=0), atol=1e-5)
    assert features.shape[0] == 4 and features.ndim == 2


def test_an_analysis_holds_everything_the_page_shows(compiled):
    folder = fast_models_dir()
    detector = FeatureDetector.load(detector_path(folder / "cnn_fast.keras"))
    analysis = analyse_scan(compiled["cnn_fast"], _scan(), "gradcam", "cnn_fast", detector)
    assert analysis.scan.dtype == np.uint8 and analysis.scan.shape == (64, 64, 3)
    assert analysis.overlay.dtype == np.uint8 and analysis.overlay.shape == (64, 64, 3)
    assert analysis.probabilities.shape == (4,) and analysis.probabilities.sum() == pytest.approx(1)
    assert analysis.predicted_class == CLASS_NAMES[int(np.argmax(analysis.probabilities))]
    assert analysis.confidence >= analysis.runner_up_probability
    assert analysis.runner_up != analysis.predicted_class
    assert analysis.method == "gradcam" and analysis.saliency.display.shape == (64, 64)
    assert "strongest" in analysis.legend
    assert analysis.ood.distance is not None and analysis.ood.threshold == detector.threshold
    assert analysis.prediction_ms > 0 and analysis.saliency_ms > 0
    assert analysis.scan_png().startswith(b"\x89PNG") and analysis.overlay_png()[:4] == b"\x89PNG"


@pytest.mark.parametrize("method", APP_METHODS)
def test_each_method_gives_its_own_overlay_and_a_plain_keras_model_works_too(
    models, compiled, method
):
    fast = analyse_scan(compiled["cnn_fast"], _scan(), method, "cnn_fast")
    slow = analyse_scan(models["cnn_fast"], _scan(), method, "cnn_fast")
    assert np.array_equal(fast.probabilities, slow.probabilities)
    assert np.abs(fast.overlay.astype(int) - slow.overlay.astype(int)).max() <= 1
    other = "brief" if method != "brief" else "gradcam"
    assert not np.array_equal(
        fast.overlay, analyse_scan(compiled["cnn_fast"], _scan(), other, "cnn_fast").overlay
    )


def test_the_facts_and_the_report_say_what_was_measured(compiled):
    folder = fast_models_dir()
    analysis = analyse_scan(compiled["cnn_fast"], _scan(), "gradcam", "cnn_fast")
    facts = analysis.facts()
    assert facts.predicted_class == analysis.predicted_class
    assert facts.confidence == pytest.approx(analysis.confidence)
    assert facts.model_name == "cnn_fast" and facts.method == "gradcam"
    card = load_card(folder / "cnn_fast.keras")
    explanation = offline_explanation(facts)
    report = json.loads(json.dumps(analysis.report_dict(explanation, card, "a.png", ("x",))))
    assert report["notice"] == NOT_A_DIAGNOSTIC_DEVICE
    assert "not a diagnostic device" in report["notice"]
    assert report["prediction"]["class"] == analysis.predicted_class
    assert report["prediction"]["trusted"] is True
    assert set(report["probabilities"]) == set(CLASS_NAMES)
    assert report["model"]["card"]["name"] == "cnn_fast"
    assert report["model"]["card"]["data_fingerprint"] == card["data"]["fingerprint"]
    assert report["model"]["card"]["metrics"] == card["metrics"]
    assert report["saliency"]["summary"]["dominant_region"] == analysis.summary.dominant_region
    assert report["explanation"]["source"] == "offline"
    assert report["explanation"]["summary"] == explanation.summary
    assert report["scan"] == {
        "name": "a.png",
        "sha256_of_model_input": scan_key(analysis.scan),
        "conversions": ["x"],
    }
    assert report["versions"]["mri_course"]


def test_the_calibrated_confidence_and_the_95_percent_set_come_from_the_card(compiled):
    card = load_card(fast_models_dir() / "cnn_fast.keras")
    uncertainty = Uncertainty.from_dict(card["uncertainty"])
    plain = analyse_scan(compiled["cnn_fast"], _scan(), "gradcam", "cnn_fast")
    assert plain.prediction_set is None and plain.calibrated_confidence is None
    analysis = analyse_scan(compiled["cnn_fast"], _scan(), "gradcam", "cnn_fast", None, uncertainty)
    expected = uncertainty.calibrated(analysis.probabilities[None])[0]
    assert analysis.calibrated_confidence == pytest.approx(expected.max())
    in_set = uncertainty.sets(analysis.probabilities[None])[0]
    assert analysis.prediction_set == tuple(
        n for n, k in zip(CLASS_NAMES, in_set, strict=True) if k
    )
    facts = analysis.facts()
    assert facts.prediction_set == analysis.prediction_set
    assert facts.calibrated_confidence == analysis.calibrated_confidence
    report = analysis.report_dict()["prediction"]
    assert report["prediction_set_95"] == list(analysis.prediction_set)


def test_an_empty_map_has_no_facts_to_explain(compiled):
    analysis = analyse_scan(compiled["cnn_fast"], _scan(), "gradcam", "cnn_fast")
    empty = dataclasses.replace(analysis, summary=None)
    with pytest.raises(EmptySaliencyError, match="choose another saliency method"):
        empty.facts()
    assert empty.report_dict()["saliency"]["summary"] is None


def test_a_colour_photo_is_analysed_but_not_trusted(compiled):
    analysis = analyse_scan(compiled["cnn_fast"], not_mri_image("colour photo"), "gradcam", "m")
    assert not analysis.trusted
    assert any("colour" in reason for reason in analysis.ood.reasons)
    assert analysis.report_dict()["prediction"]["trusted"] is False


def test_the_scan_key_depends_on_the_pixels_and_the_shape_not_on_the_layout():
    image = np.arange(64 * 32 * 3, dtype=np.uint8).reshape(64, 32, 3)
    assert scan_key(image) == scan_key(image.copy())
    assert len(scan_key(image)) == 64
    assert scan_key(image) != scan_key(image.reshape(32, 64, 3)), "same bytes, other shape"
    changed = image.copy()
    changed[10, 10, 1] += 1
    assert scan_key(changed) != scan_key(image)
    flipped = image[:, ::-1]
    assert scan_key(flipped) == scan_key(np.ascontiguousarray(flipped))


def test_a_new_saliency_method_is_one_entry_in_names_and_one_function_in_maps(models, monkeypatch):
    """Gradient x input, added the way the names module says: nothing else is edited, and
    the lesson's call, the app's compiled path, the drawing and both explanations use it."""
    import tensorflow as tf

    from mri_course.explain.prompt import build_prompt
    from mri_course.saliency import maps, names

    def gradient_times_input(model, images, classes):
        logits = maps.logit_model(model)
        return maps.vanilla_gradient_map(logits, images, classes) * tf.reduce_mean(images, -1)

    method = names.Method("gradient x input", brief_drawing=False, caveat="Made up for a test.")
    monkeypatch.setitem(names.METHODS, "gradient_x_input", method)
    monkeypatch.setitem(maps.RAW_MAPS, "gradient_x_input", gradient_times_input)

    image = prepare_pixels(_scan(), 64)
    lesson = saliency_map(models["cnn_fast"], image, "gradient_x_input")
    analysis = analyse_scan(CompiledModel(models["cnn_fast"]), _scan(), "gradient_x_input", "m")
    assert np.allclose(analysis.saliency.raw, lesson.raw, rtol=1e-3, atol=1e-4 * lesson.raw.max())
    facts = analysis.facts()
    assert "gradient x input" in build_prompt(facts)
    explanation = offline_explanation(facts).to_markdown()
    assert "Gradient x input" in explanation and "Made up for a test." in explanation
    assert analysis.report_dict()["saliency"]["method_title"] == "gradient x input"
