"""Cautions: from the measured plane counts and the scan's own fragility, shown in the
analysis and carried by both explanations; a healthy brain seen from the side never gets a
tumour label without one."""

import io
import json
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from mri_course.app.analysis import CompiledModel, analyse_scan
from mri_course.audit.caution import (
    RARELY_HEALTHY,
    fragility_caution,
    healthy_share,
    plane_caution,
)
from mri_course.audit.mni152 import CONFIDENT, WINDOWS, render_slices
from mri_course.audit.planes import PLANES
from mri_course.config import load_settings
from mri_course.data.release import CLASS_NAMES
from mri_course.evaluation.uncertainty import Uncertainty
from mri_course.explain import explain, offline_explanation
from mri_course.models.shipped import SHIPPED_CNN, shipped_card
from mri_course.testing.gemini_server import GeminiStub, answer_reply

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def test_the_healthy_share_per_plane_agrees_with_the_measured_class_x_plane_table():
    """Distinct scans here, every image there (copies included): close, not equal."""
    report = json.loads((RESULTS / "confounds_report.json").read_text())
    table = report["class x plane, Training/"]
    for plane, counts in zip(table["groups"], table["counts"], strict=True):
        share, healthy, total = healthy_share(plane)
        assert share == pytest.approx(healthy / total)
        assert healthy <= counts[CLASS_NAMES.index("notumor")] and total <= sum(counts)
        assert share == pytest.approx(counts[CLASS_NAMES.index("notumor")] / sum(counts), abs=0.04)
    assert healthy_share("axial")[0] >= RARELY_HEALTHY  # healthy brains are seen from above
    assert healthy_share("sagittal")[0] < RARELY_HEALTHY


def test_a_tumour_label_in_a_rarely_healthy_plane_is_cautioned_with_the_figure():
    sure_side = {"axial": 0.02, "coronal": 0.03, "sagittal": 0.95}
    text = plane_caution(sure_side, "meningioma")
    _, healthy, total = healthy_share("sagittal")
    assert "sagittal" in text and f"{healthy} of {total}" in text and "meningioma" in text
    assert plane_caution(sure_side, "notumor") is None  # no tumour claimed
    assert plane_caution({"axial": 0.95, "coronal": 0.03, "sagittal": 0.02}, "glioma") is None
    doubt = plane_caution({"axial": 0.64, "coronal": 0.0, "sagittal": 0.36}, "glioma")
    assert doubt is not None and "(36% by the course's plane classifier)" in doubt
    assert f"({healthy} of {total})" in text and "{" not in text  # every figure filled in


def _brightness_model() -> keras.Model:
    """Class 1 when the mean grey level passes 60, else class 0: blind to everything but
    how much black surrounds the head, as a shortcut-learning model would be."""
    inputs = keras.Input((32, 32, 3))
    mean = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(4, activation="softmax", name="probabilities")
    model = keras.Model(inputs, dense(mean))
    kernel = np.zeros((3, 4), "float32")
    kernel[:, 1] = 1 / 3
    dense.set_weights([kernel, np.array([0, -60, -1e3, -1e3], "float32")])
    return model


def test_an_answer_that_a_small_reframing_changes_is_called_fragile():
    model = _brightness_model()
    dark = np.zeros((100, 100, 3), np.uint8)
    dark[20:80, 20:80] = 150  # mean 54: class 0; cropping black border brings it over 60
    text = fragility_caution(model.predict_on_batch, 32, dark, predicted=0)
    assert text is not None and "border crop 15%" in text and CLASS_NAMES[1] in text
    steady = np.full((100, 100, 3), 200, np.uint8)  # far from the threshold either way
    assert fragility_caution(model.predict_on_batch, 32, steady, predicted=1) is None


@pytest.fixture(scope="module")
def shipped():
    return CompiledModel(keras.models.load_model(SHIPPED_CNN, compile=False))


def test_a_healthy_brain_seen_from_the_side_never_gets_a_tumour_label_alone(shipped):
    """The course's target: at most 10% of MNI152 slices confidently wrong with no caution
    (``benchmarks/results/caution_report.md`` measures it on 216 slices). The sagittal ones
    are where the models fail most. Here the stronger form: each tumour label on them, at
    any confidence, comes with a caution; confidence is the higher of the softmax and the
    calibrated one, both of which the app shows (the card's temperature, as the app)."""
    uncertainty = Uncertainty.from_card(shipped_card())
    tumour_labels, alone, confident_alone, slices = 0, 0, 0, 0
    for window in WINDOWS.values():
        for pixels in render_slices("sagittal", 24, window=window):
            analysis = analyse_scan(
                shipped, pixels, "gradcam", "shipped_cnn", uncertainty=uncertainty
            )
            assert analysis.plane in PLANES
            slices += 1
            if analysis.predicted_class == "notumor":
                continue
            tumour_labels += 1
            alone += not analysis.cautions
            confident_alone += analysis.shown_confidence >= CONFIDENT and not analysis.cautions
    # The shipped CNN calls a few healthy side views tumours (mni152_report.md: 6 of 72);
    # a model that called none would leave this test nothing to check.
    assert tumour_labels > 0, "no tumour label on a healthy side view: find another case"
    assert alone == 0, f"{alone} of {tumour_labels} tumour labels came with no caution"
    assert confident_alone / slices <= 0.10


def _png(pixels) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_both_explanations_and_the_report_carry_the_cautions(shipped):
    pixels = render_slices("sagittal", 12, window=WINDOWS["full"])[4]
    analysis = analyse_scan(shipped, pixels, "gradcam", "shipped_cnn")
    analysis = replace(analysis, cautions=("A measured caution.",))
    facts = analysis.facts()
    assert facts.cautions == ("A measured caution.",)
    assert offline_explanation(facts).caveats[0] == "A measured caution."
    answer = {"summary": "A glioma.", "regions": "Upper left.", "caveats": ["Coarse map."]}
    with GeminiStub([answer_reply(answer)]) as stub:
        settings = replace(
            load_settings({}), gemini_base_url=stub.base_url, gemini_api_key="test-key"
        )
        told = explain(facts, _png(analysis.scan), _png(analysis.overlay), settings)
        prompt = json.dumps(stub.requests[0].body)
    assert told.source == "gemini" and told.caveats[0] == "A measured caution."
    assert "A measured caution." in prompt
    report = analysis.report_dict()
    assert report["prediction"]["cautions"] == ["A measured caution."]
    assert report["slice_plane"]["plane"] == analysis.plane
