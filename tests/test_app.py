"""The Streamlit app, driven by Streamlit's AppTest: uploads, models, methods, Gemini, bad files.

The app takes its models from the settings (``MRI_COURSE_MODELS``), so these tests point it
at small real models trained here in the fast profile (``app_models.py``) and do not depend
on the shipped CNN; one test uses the shipped CNN when this copy of the course has it.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest
from app_models import fast_models_dir
from bad_scans import BAD_UPLOADS, CONVERTED_UPLOADS, encode, scan_png
from medical_files import PATIENT, brain_slice, dicom_bytes, nifti_bytes
from PIL import Image
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from mri_course.app.not_mri import not_mri_image
from mri_course.explain import OFFLINE_HEADING
from mri_course.testing.gemini_server import GeminiStub, answer_reply
from mri_course.training import registry

APP = Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"
TIMEOUT = 120  # the first run imports TensorFlow and compiles the model
FAKE_KEY = "test-key-not-real-7f3a"
CANNED = {
    "summary": "STUB ANSWER: the model predicts a tumour.",
    "regions": "The dark red area sits at the upper image right.",
    "caveats": ["This is a stub's answer, not Gemini's."],
}


def started(model_key: str = "cnn") -> AppTest:
    """The app after its first run, with ``model_key`` chosen (not the shipped CNN)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["model_key"] = model_key
    return at.run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    mime = "image/jpeg" if name.endswith((".jpg", ".jpeg")) else f"image/{name.rsplit('.', 1)[-1]}"
    return at.file_uploader[0].set_value((name, data, mime)).run()


def texts(at: AppTest) -> str:
    """Every piece of text on the page, sidebar included."""
    parts = []
    for kind in (
        "markdown",
        "caption",
        "info",
        "success",
        "warning",
        "error",
        "title",
        "subheader",
    ):
        parts += [str(element.value) for element in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


def assert_healthy(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert "Traceback" not in texts(at)


def assert_analysed(at: AppTest) -> None:
    assert_healthy(at)
    assert not at.error, [e.value for e in at.error]
    assert at.metric, "a prediction is shown"
    assert len(at.image) >= 3, "the scan, the overlay and the colour bar"
    assert any("Colour legend" in c.value for c in at.caption)


def test_before_an_upload_the_page_says_what_to_do_and_shows_the_notice(app_env):
    at = started()
    assert_healthy(at)
    assert any("not a diagnostic device" in w.value for w in at.warning)
    assert any("Upload a scan" in i.value for i in at.info)
    assert at.file_uploader[0].allowed_type  # JPEG, PNG, ...
    assert at.radio(key="model_key").value == "cnn", "the model the test asked for"


def test_an_upload_gives_the_prediction_the_overlay_the_legend_and_the_offline_explanation(
    app_env,
):
    at = upload(started(), "brain.png", scan_png())
    assert_analysed(at)
    metric = at.metric[0]
    assert "Your compact CNN" in metric.label
    assert metric.value in {"Glioma", "Meningioma", "No tumour", "Pituitary tumour"}
    assert "confidence" in metric.delta
    assert any(
        "95% prediction set" in box.value and "95 times in 100" in box.value for box in at.info
    )
    assert any(OFFLINE_HEADING in m.value for m in at.markdown)
    assert any("Gemini: no API key" in i.value for i in at.sidebar.info)
    labels = [button.label for button in at.get("download_button")]
    assert any("overlay (PNG)" in label for label in labels)
    assert any("report (JSON)" in label for label in labels)
    assert any("64 x 64" in caption for caption in at.image[0].captions)


def test_switching_the_method_changes_the_overlay_not_the_scan(app_env):
    at = upload(started(), "brain.png", scan_png())
    scan, overlay = at.image[0].value, at.image[1].value
    at.radio(key="method").set_value("smoothgrad").run()
    assert_analysed(at)
    assert at.image[0].value == scan
    assert at.image[1].value != overlay
    assert "SmoothGrad" in at.image[1].captions[0]
    at.radio(key="method").set_value("brief").run()
    assert_analysed(at)
    assert at.image[1].value not in (overlay,)


def test_switching_the_model_runs_the_other_model(app_env):
    at = upload(started(), "brain.png", scan_png())
    at.radio(key="model_key").set_value("xception").run()
    assert_analysed(at)
    assert "Xception" in at.metric[0].label
    assert any("72 x 72" in caption for caption in at.image[0].captions)


def test_the_comparison_view_runs_every_available_model_on_the_scan(app_env):
    at = upload(started(), "brain.png", scan_png())
    at.toggle(key="compare").set_value(True).run()
    assert_healthy(at)
    models = [m.label for m in at.metric]
    assert any("Your compact CNN" in label for label in models)
    assert any("Xception" in label for label in models)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == len(models)


def test_a_missing_model_is_listed_with_the_command_that_trains_it(app_env, tmp_path):
    (tmp_path / "cnn_fast.keras").symlink_to(fast_models_dir() / "cnn_fast.keras")
    app_env.setenv("MRI_COURSE_MODELS", str(tmp_path))
    at = started()
    assert_healthy(at)
    captions = "\n".join(c.value for c in at.sidebar.caption)
    assert "not trained yet" in captions
    assert "mri-course train xception --profile fast" in captions
    assert not any("Xception" in option for option in at.radio(key="model_key").options)
    assert at.toggle(key="compare").disabled or registry.SHIPPED_CNN.is_file()


def test_a_card_that_describes_another_model_file_is_left_out_and_said(app_env, tmp_path):
    """A kill between the model's rename and the card's: the page says so, and still works."""
    (tmp_path / "cnn_fast.keras").symlink_to(fast_models_dir() / "cnn_fast.keras")
    card = json.loads((fast_models_dir() / "cnn_fast.card.json").read_text())
    card["model_sha256"] = "0" * 64  # the card of another version of the file
    (tmp_path / "cnn_fast.card.json").write_text(json.dumps(card))
    app_env.setenv("MRI_COURSE_MODELS", str(tmp_path))
    at = upload(started(), "brain.png", scan_png())
    assert_analysed(at)
    assert any("describes another version of cnn_fast.keras" in c.value for c in at.caption)


def test_without_any_model_the_page_says_how_to_train_one(app_env, tmp_path):
    app_env.setenv("MRI_COURSE_MODELS", str(tmp_path))
    app_env.setattr(registry, "SHIPPED_CNN", tmp_path / "no_shipped_model.keras")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert_healthy(at)
    assert any(
        "No trained model" in e.value and "mri-course train cnn" in e.value for e in at.error
    )


def test_a_broken_model_file_gives_a_plain_message_not_a_traceback(app_env, tmp_path):
    (tmp_path / "cnn_fast.keras").write_bytes(b"half a model file")
    app_env.setenv("MRI_COURSE_MODELS", str(tmp_path))
    at = upload(started(), "brain.png", scan_png())
    assert_healthy(at)
    assert any("Something went wrong" in e.value for e in at.error)
    at = upload(at, "brain.png", scan_png())  # and it stays up for the next try
    assert_healthy(at)


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_a_bad_upload_shows_its_message_and_the_next_upload_works(app_env, case):
    name, make, says = BAD_UPLOADS[case]
    at = upload(started(), name, make())
    assert_healthy(at)
    assert len(at.error) == 1 and says in at.error[0].value
    assert not at.metric, "no prediction for a file that is not a scan"
    at = upload(at, "brain.png", scan_png())
    assert_analysed(at)


@pytest.mark.parametrize("case", list(CONVERTED_UPLOADS))
def test_an_unusual_encoding_is_analysed_with_a_note(app_env, case):
    name, make, note = CONVERTED_UPLOADS[case]
    at = upload(started(), name, make())
    assert_analysed(at)
    assert any(note in c.value for c in at.caption)


def test_a_colour_photo_gets_a_warning_instead_of_a_confident_label(app_env):
    photo = encode(Image.fromarray(not_mri_image("colour photo", 3)), "PNG")
    at = upload(started(), "holiday.png", photo)
    assert_healthy(at)
    assert any("does not look like a brain MRI" in w.value for w in at.warning)
    assert at.metric[0].value == "Not trusted"
    assert not any(OFFLINE_HEADING in m.value for m in at.markdown), "nothing to explain"
    assert any("No explanation" in i.value for i in at.info)


def test_the_explanation_comes_from_gemini_through_the_stub_once_per_scan(app_env):
    with GeminiStub([answer_reply(CANNED)]) as stub:
        app_env.setenv("MRI_COURSE_GEMINI_BASE_URL", stub.base_url)
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.secrets["GEMINI_API_KEY"] = FAKE_KEY
        at.session_state["model_key"] = "cnn"
        at.run()
        assert any("API key set" in s.value for s in at.sidebar.success)
        at = upload(at, "gemini.png", scan_png(seed=7))
        assert_analysed(at)
        assert any("Explanation by Gemini (" in m.value for m in at.markdown)
        assert any(CANNED["summary"] in m.value for m in at.markdown)
        assert len(stub.requests) == 1 and stub.requests[0].api_key == FAKE_KEY
        at.run()  # a rerun (any click) reuses the cached explanation
        at.radio(key="method").set_value("gradcam").run()
        assert len(stub.requests) == 1
        at.radio(key="method").set_value("smoothgrad").run()  # another map: a new question
        assert len(stub.requests) == 2
        assert FAKE_KEY not in texts(at), "the key is never shown"


def test_a_sample_scan_can_be_picked_by_class_when_the_dataset_is_there(app_env, synthetic):
    app_env.setenv("MRI_COURSE_DATA", str(synthetic.root))
    at = started()
    at.radio(key="source").set_value("Pick a sample scan").run()
    at.selectbox(key="sample_class").set_value("pituitary").run()
    assert_analysed(at)
    assert at.selectbox(key="sample_file").value.startswith("Testing/pituitary/")


def test_without_the_dataset_there_is_no_sample_picker(app_env):
    at = started()
    assert not [r for r in at.radio if r.key == "source"]


def test_the_shipped_cnn_analyses_a_scan(app_env):
    if not registry.SHIPPED_CNN.is_file():
        pytest.skip(f"this copy of the course has no shipped CNN ({registry.SHIPPED_CNN})")
    at = upload(started("shipped_cnn"), "brain.png", scan_png(256, "glioma"))
    assert_analysed(at)
    assert "shipped" in at.metric[0].label
    assert any("128 x 128" in caption for caption in at.image[0].captions)


@pytest.mark.parametrize("name", ["scan.tiff", "scan.webp", "favicon.ico"])
def test_a_name_the_uploader_does_not_allow_gets_a_message_not_an_exception(app_env, name):
    at = upload(started(), name, scan_png())
    assert not at.exception, at.exception
    extension = name.rsplit(".", 1)[1]
    assert any("only takes" in e.value and extension in e.value for e in at.error), texts(at)
    again = upload(at, "scan.png", scan_png())
    assert not again.exception and again.metric, "the next upload works"


def test_a_dicom_file_is_analysed_with_its_conversion_noted(app_env):
    at = upload(started(), "slice.dcm", dicom_bytes())
    assert_analysed(at)
    assert any("DICOM MR; only its pixels are used" in c.value for c in at.caption)


def test_a_nifti_volume_offers_its_planes_and_slices(app_env):
    at = upload(started(), "head.nii.gz", nifti_bytes())
    assert_analysed(at)
    plane, index = at.radio(key="plane:head.nii.gz"), at.slider(key="slice:head.nii.gz:axial")
    assert plane.value == "axial" and (index.value, index.max) == (12, 23)
    shown = at.image[0].proto.imgs[0].url
    at = index.set_value(3).run()
    assert_analysed(at)
    assert at.image[0].proto.imgs[0].url != shown, "another slice, another picture"
    assert any("axial slice 4 of 24" in c.value for c in at.caption)
    at = at.radio(key="plane:head.nii.gz").set_value("sagittal").run()
    assert_analysed(at)
    assert at.slider(key="slice:head.nii.gz:sagittal").max == 95


def test_a_multi_frame_dicom_file_offers_its_frames(app_env):
    frames = [brain_slice(seed) for seed in (1, 2, 3)]
    at = upload(started(), "series.dcm", dicom_bytes(frames))
    assert_analysed(at)
    assert not [r for r in at.radio if r.key and r.key.startswith("plane:")], "no planes"
    assert at.slider(key="slice:series.dcm:axial").max == 2


def unpadded_base64(data: str) -> bytes:
    """Proto JSON bytes: base64, standard or URL-safe, padded or not (the SDK varies)."""
    data = data.replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def test_no_patient_detail_of_a_dicom_header_is_shown_downloaded_logged_or_sent(
    app_env, caplog, monkeypatch
):
    """The header names a patient; search the page, every file it serves, the log, Gemini."""
    served = []
    serve = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        served.append(path_or_data if isinstance(path_or_data, bytes) else str(path_or_data))
        return serve(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    caplog.set_level(logging.DEBUG)
    with GeminiStub([answer_reply(CANNED)]) as stub:
        app_env.setenv("MRI_COURSE_GEMINI_BASE_URL", stub.base_url)
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.secrets["GEMINI_API_KEY"] = FAKE_KEY
        at.session_state["model_key"] = "cnn"
        at.run()
        at = upload(at, "slice.dcm", dicom_bytes())
        assert_analysed(at)
        assert len(stub.requests) == 1, "Gemini was asked"
        sent = [json.dumps(request.body) for request in stub.requests]
        sent += [
            unpadded_base64(part["inlineData"]["data"]).decode("latin-1")
            for request in stub.requests
            for content in request.body["contents"]
            for part in content["parts"]
            if "inlineData" in part
        ]
    assert any("report (JSON)" in button.label for button in at.get("download_button"))
    files = [item.decode("latin-1") if isinstance(item, bytes) else item for item in served]
    assert any('"prediction"' in item for item in files), "the report was among the files"
    everything = "\n".join([texts(at), repr(at._tree), caplog.text, *files, *sent])
    for value in PATIENT.values():
        for piece in (value, *value.split("^")):  # a name's parts are shown apart too
            assert piece not in everything, f"{piece!r} from the DICOM header left the file"
