"""The course's app: a brain MRI slice in; its class, where the model looked, and why, out.

    make app        # or: streamlit run app/streamlit_app.py

Lesson 09 walks through it. The page computes nothing itself; each part calls the package:

==============================  ===================================================
part of the page                what it calls
==============================  ===================================================
model list in the sidebar       ``mri_course.training.registry.course_models``
upload or sample                ``mri_course.app.scan_input.read_scan``
prediction, map, OOD check      ``mri_course.app.analysis.analyse_scan``
explanation                     ``mri_course.explain.explain`` (Gemini or offline)
report download                 ``ScanAnalysis.report_dict``
==============================  ===================================================

Models are loaded once per server process (``st.cache_resource``, in ``loaders.py``);
explanations once per scan, model and method (``st.cache_data``). Settings come from the
environment as everywhere in the course (``MRI_COURSE_MODELS``, ``MRI_COURSE_DATA``, the
Gemini variables), so a model you train in the lessons shows up here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import loaders
import panels
import streamlit as st

from mri_course import load_settings
from mri_course.app.analysis import ScanAnalysis, analyse_scan, scan_key
from mri_course.app.scan_input import (
    UPLOAD_TYPES,
    ScanInput,
    ScanInputError,
    file_type,
    read_scan,
)
from mri_course.audit.planes import PLANES
from mri_course.config import Settings, SettingsError, key_problem
from mri_course.data.release import CLASS_NAMES
from mri_course.saliency.names import APP_METHODS, METHODS
from mri_course.training.registry import ModelEntry, course_models

logger = logging.getLogger("mri_course.app")

UPLOAD = "Upload a scan"
SAMPLE = "Pick a sample scan"
METHOD_CHOICES = {
    "gradcam": "Grad-CAM",
    "smoothgrad": "SmoothGrad",
    "brief": "The brief's gradient map",
}


@dataclass(frozen=True)
class Choices:
    """What the sidebar asks: which model(s), which saliency method, which Gemini key."""

    model: ModelEntry
    compare_with: tuple[ModelEntry, ...]  # empty unless "compare models" is on
    method: str
    api_key: str | None


def sidebar(settings: Settings) -> Choices | None:
    """Model choice (unavailable models with the command that makes them), method, Gemini."""
    bar = st.sidebar
    bar.title("mri-course")
    bar.caption(f"Profile **{settings.profile.name}**: {settings.profile.description}.")
    entries = course_models(settings)
    available = [entry for entry in entries if entry.available]
    bar.subheader(
        "Model",
        help=f"Your models are read from `{settings.models_dir}` (set `MRI_COURSE_MODELS` "
        "to change it); the shipped CNN comes with the course.",
    )
    if available:
        keys = [entry.key for entry in available]
        if st.session_state.get("model_key") not in keys:
            st.session_state["model_key"] = keys[0]
        chosen = bar.radio(
            "Classifier",
            keys,
            format_func=lambda key: next(e.title for e in available if e.key == key),
            key="model_key",
        )
    for entry in entries:
        if not entry.available:
            bar.caption(f"~~{entry.title}~~: not trained yet. Make it with `{entry.how_to_get}`.")
    compare = bar.toggle(
        "Compare models on the same scan",
        key="compare",
        disabled=len(available) < 2,
        help="Runs every available model on the scan, side by side.",
    )
    bar.subheader("Saliency map")
    method = bar.radio(
        "Method",
        APP_METHODS,
        format_func=METHOD_CHOICES.__getitem__,
        key="method",
        help=(
            "Lesson 07 measured them: Grad-CAM passes the sanity check but is coarse; the "
            "gradient maps point at lesions well but partly survive randomising the model."
        ),
    )
    bar.subheader("Explanation")
    api_key, source = loaders.gemini_key(settings)
    problem = key_problem(api_key) if api_key else None
    if problem:
        bar.warning(
            f"Gemini: the API key ({source}) contains {problem}, so it cannot be sent. Copy "
            "the key again without it; until then explanations are written offline."
        )
    elif api_key:
        bar.success(f"Gemini: API key set ({source}); model `{settings.gemini_model}`.")
    else:
        bar.info(
            "Gemini: no API key, so explanations are written offline from the same facts. "
            "Set `GEMINI_API_KEY` (or a Streamlit secret) to use Gemini."
        )
    if not available:
        return None
    model = next(entry for entry in available if entry.key == chosen)
    others = tuple(entry for entry in available if entry.key != chosen) if compare else ()
    return Choices(model, others, method, api_key)


def choose_scan(settings: Settings) -> ScanInput | None:
    """An uploaded scan, or a sample from the dataset when it is present; None until then.

    A file that cannot be a scan gets its message from :func:`read_scan` and nothing else
    happens: the uploader stays, ready for the next file.
    """
    root = loaders.sample_root(settings)
    source = UPLOAD
    if root is not None:
        source = st.radio("Scan", (UPLOAD, SAMPLE), horizontal=True, key="source")
    if source == UPLOAD:
        uploaded = st.file_uploader(
            "A brain MRI slice (JPEG or PNG), a DICOM file or a NIfTI volume",
            # Extensions for the browser's file dialog; with a MIME type in the list,
            # Streamlit skips its own server-side extension check, which raises outside
            # the app's handling for a client that sends another name anyway. The app
            # checks the name itself, below.
            type=[*UPLOAD_TYPES, "image/png"],
            key="upload",
            help="One axial, coronal or sagittal slice, as in the Kaggle dataset; of a NIfTI "
            "volume or a multi-frame DICOM file you choose the slice below. A DICOM file "
            "without an extension (as on many hospital CDs): rename it to end in .dcm.",
        )
        if uploaded is None:
            st.info("Upload a scan to see the prediction, the saliency map and an explanation.")
            return None
        data, name = uploaded.getvalue(), uploaded.name
        if file_type(name) not in UPLOAD_TYPES:
            st.error(
                f"{name}: the uploader only takes "
                f"{', '.join('.' + t for t in UPLOAD_TYPES)} files. Save the scan as a JPEG "
                "or PNG and upload it again.",
                icon=":material/error:",
            )
            return None
        return read_with_slice_choice(data, name)
    else:
        scans = loaders.sample_scans(str(root))
        label = st.selectbox(
            "Class", CLASS_NAMES, format_func=panels.class_label, key="sample_class"
        )
        if not scans[label]:
            st.info(f"The dataset has no {label} test scans.")
            return None
        relpath = st.selectbox(
            "Test scan", scans[label], format_func=lambda p: Path(p).name, key="sample_file"
        )
        data, name = (root / relpath).read_bytes(), Path(relpath).name
    return read_with_slice_choice(data, name)


def read_with_slice_choice(data: bytes, name: str) -> ScanInput | None:
    """Read the file; for a volume or a multi-frame file, offer its plane and slice.

    The widgets come after the read (only then is the number of slices known); their
    values, kept in the session under keys named after the file, choose the slice on the
    next run. A new file gets new keys, and so starts at its middle slice.
    """
    plane = st.session_state.get(f"plane:{name}", PLANES[0])  # a DICOM file ignores it
    index = st.session_state.get(f"slice:{name}:{plane}")
    try:
        scan = read_scan(data, name, plane=plane, index=index)
    except ScanInputError as error:
        st.error(str(error), icon=":material/error:")
        return None
    if scan.plane is not None:
        st.radio("Plane", PLANES, key=f"plane:{name}", horizontal=True)
    if scan.slice_count > 1:
        st.slider(
            "Frame" if scan.plane is None else f"{scan.plane.capitalize()} slice",
            0,
            scan.slice_count - 1,
            value=scan.slice_index,
            key=f"slice:{name}:{plane}",
        )
    return scan


def analyse(
    entry: ModelEntry, scan: ScanInput, method: str
) -> tuple[loaders.LoadedModel, ScanAnalysis]:
    loaded = loaders.load_entry(entry)
    analysis = analyse_scan(
        loaded.compiled, scan.pixels, method, loaded.name, loaded.detector, loaded.uncertainty
    )
    return loaded, analysis


def single_view(choices: Choices, scan: ScanInput, settings: Settings) -> None:
    """One model on one scan: label, probabilities, overlay, explanation, downloads."""
    loaded, analysis = analyse(choices.model, scan, choices.method)
    if loaded.card_note:  # a card left out (it describes another model file) or unchecked
        st.caption(f":material/warning: Model card: {loaded.card_note}")
    if not analysis.trusted:
        panels.ood_warning(analysis)
    top_left, top_right = st.columns([2, 3])
    with top_left:
        panels.prediction(analysis, choices.model.title)
    with top_right:
        panels.probability_chart(analysis)
    panels.scan_and_overlay(analysis)
    panels.ood_details(analysis, scan.pixels, loaded.detector_note)

    st.subheader("Explanation")
    result = None
    if not analysis.trusted:
        st.info(
            "No explanation: the image does not look like a brain MRI, so there is no "
            "prediction worth explaining."
        )
    elif analysis.summary is None:
        st.info("No explanation: the saliency map is empty. Choose another method.")
    else:
        with st.spinner("Writing the explanation..."):
            result = loaders.cached_explanation(
                scan_key(analysis.scan),
                str(loaded.path),
                loaded.modified,
                analysis.method,
                loaders.gemini_setup_key(settings, choices.api_key),
                analysis.facts(),
                analysis.scan_png(),
                analysis.overlay_png(),
                settings,
                choices.api_key,
            )
        panels.explanation(result)

    st.subheader("Downloads")
    report = analysis.report_dict(result, loaded.card, scan.name, scan.notes)
    panels.downloads(analysis, report, panels.file_stem(scan.name))
    panels.timings(analysis, loaded.load_seconds)


def compare_view(choices: Choices, scan: ScanInput) -> None:
    """Every available model on the same scan, side by side (no explanations)."""
    entries = (choices.model, *choices.compare_with)
    results = {entry.title: analyse(entry, scan, choices.method)[1] for entry in entries}
    if not all(a.trusted for a in results.values()):
        panels.ood_warning(next(a for a in results.values() if not a.trusted))
    panels.comparison_table(results)
    for column, (title, analysis) in zip(st.columns(len(results)), results.items(), strict=True):
        with column:
            panels.prediction(analysis, title)
            panels.probability_chart(analysis, height=140)
            column.image(
                analysis.overlay,
                caption=f"{METHODS[analysis.method].title}, {title}",
                width="stretch",
            )
    st.caption(f"Colour legend: {next(iter(results.values())).legend}.")


def main() -> None:
    st.title("Brain MRI tumour classifier")
    st.caption(
        "The app of the mri-course: a model you can train yourself says which of four "
        "classes a brain MRI slice shows, where it looked, and why, in plain words."
    )
    panels.notice()
    try:
        settings = load_settings()
    except SettingsError as error:
        st.error(f"The course settings are wrong: {error}")
        return
    choices = sidebar(settings)
    if choices is None:
        st.error(
            "No trained model is available. Train the course's CNN with "
            "`mri-course train cnn --profile cpu` (or point `MRI_COURSE_MODELS` at a folder "
            "that holds one), then reload this page."
        )
        return
    scan = choose_scan(settings)
    if scan is None:
        return
    for note in scan.notes:
        st.caption(f":material/info: {scan.name}: {note}.")
    if choices.compare_with:
        compare_view(choices, scan)
    else:
        single_view(choices, scan, settings)


st.set_page_config(page_title="Brain MRI classifier · mri-course", page_icon="🧠", layout="wide")
try:
    main()
except Exception:  # the last line of defence: log the traceback, show a plain message
    logger.exception("the app failed on this run")
    st.error(
        "Something went wrong while handling this scan; the details are in the server's "
        "log. Try another scan, or reload the page.",
        icon=":material/error:",
    )
