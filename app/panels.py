"""The parts of the page, one function each: they lay results out and compute nothing.

Every number shown here comes from a :class:`mri_course.app.analysis.ScanAnalysis`; every
sentence of the explanation from :mod:`mri_course.explain`. Keeping the drawing apart from
the computing is what lets a test (or lesson 09) check the analysis without a browser.
"""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from mri_course.app.analysis import NOT_A_DIAGNOSTIC_DEVICE, ScanAnalysis
from mri_course.app.ood import drawing_statistics, image_statistics
from mri_course.data.release import CLASS_NAMES
from mri_course.evaluation.uncertainty import guarantee, set_in_words
from mri_course.explain import Explanation
from mri_course.explain.offline import CLASS_LABELS
from mri_course.explain.prompt import percent
from mri_course.saliency.names import METHODS
from mri_course.saliency.overlay import colourise

UNTRUSTED_LABEL = "not trusted"
SHOWN_SIDE = 320  # pixels on the page: the model's 64-299 px inputs, enlarged alike
OOD_HEADLINE = "This image does not look like a brain MRI slice"


def class_label(name: str) -> str:
    """A class as a reader says it: "no tumour", not "notumor"."""
    return CLASS_LABELS[name].capitalize()


def notice() -> None:
    st.warning(f"**{NOT_A_DIAGNOSTIC_DEVICE}**", icon=":material/warning:")


def ood_warning(analysis: ScanAnalysis) -> None:
    """The out-of-distribution warning, shown *instead of* a confident label."""
    reasons = "; ".join(analysis.ood.reasons)
    st.warning(
        f"**{OOD_HEADLINE}**: {reasons}. The model answers with one of its four classes "
        "whatever it is shown, so its label is **not trusted** here. Upload a brain MRI slice.",
        icon=":material/block:",
    )


def prediction(analysis: ScanAnalysis, title: str) -> None:
    """The label and its confidence (or "not trusted"), with the runner-up."""
    if analysis.trusted:
        st.metric(
            f"Prediction of {title}",
            class_label(analysis.predicted_class),
            f"{percent(analysis.confidence)} confidence",
            delta_color="off",
            delta_arrow="off",
        )
        runner_up = percent(analysis.runner_up_probability)
        plane = f"{analysis.plane} ({percent(analysis.plane_probabilities[analysis.plane])})"
        st.caption(
            f"Runner-up: {class_label(analysis.runner_up)} ({runner_up}). "
            f"Slice plane, as the course's plane classifier sees it: {plane}."
        )
        if analysis.prediction_set is not None:
            st.info(
                f"**95% prediction set: {set_in_words(analysis.prediction_set)}.** "
                f"Calibrated confidence {percent(analysis.calibrated_confidence)}. " + guarantee(),
                icon=":material/rule:",
            )
        for caution in analysis.cautions:
            st.warning(caution, icon=":material/report:")
    else:
        st.metric(
            f"Prediction of {title}",
            UNTRUSTED_LABEL.capitalize(),
            f"the model's output would be {CLASS_LABELS[analysis.predicted_class]} "
            f"({percent(analysis.confidence)}), which means nothing for this image",
            delta_color="off",
            delta_arrow="off",
        )


def probability_chart(analysis: ScanAnalysis, height: int = 170) -> None:
    """All four class probabilities as horizontal bars, the predicted class highlighted.

    For an image that does not look like an MRI no bar is highlighted: the numbers are the
    model's output, but no class is a prediction worth pointing at.
    """
    table = pd.DataFrame(
        {
            "class": [class_label(name) for name in CLASS_NAMES],
            "probability": analysis.probabilities,
            "predicted": [
                analysis.trusted and name == analysis.predicted_class for name in CLASS_NAMES
            ],
        }
    )
    bars = (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            y=alt.Y("class:N", sort=None, title=None),
            color=alt.condition(alt.datum.predicted, alt.value("#d62728"), alt.value("#9fb3c8")),
            tooltip=["class", alt.Tooltip("probability:Q", format=".1%")],
        )
    )
    labels = bars.mark_text(align="left", dx=3).encode(
        text=alt.Text("probability:Q", format=".1%"), color=alt.value("#333")
    )
    st.altair_chart((bars + labels).properties(height=height), width="stretch")


def colour_bar() -> np.ndarray:
    """The overlay's colour scale, strongest on the left, as a small image strip."""
    return np.repeat(colourise(np.linspace(1.0, 0.0, 256))[np.newaxis], 14, axis=0)


def scan_and_overlay(analysis: ScanAnalysis) -> None:
    """The scan beside its saliency overlay, with the legend under them."""
    size = analysis.scan.shape[0]
    left, right = st.columns(2)
    left.image(
        analysis.scan,
        caption=f"The scan as the model takes it ({size} x {size} px)",
        width=SHOWN_SIDE,
    )
    right.image(
        analysis.overlay,
        caption=f"{METHODS[analysis.method].title} of the predicted class",
        width=SHOWN_SIDE,
    )
    st.image(colour_bar(), caption="strongest  ◀  colour scale  ▶  weakest", width=320)
    st.caption(f"**Colour legend.** {analysis.legend}.")
    if analysis.summary is None:
        st.info(
            f"The {METHODS[analysis.method].title} map of this scan is zero everywhere: the "
            "model found no region that raises the predicted class. Try another method."
        )
    else:
        summary = analysis.summary
        share = summary.mass_by_region[summary.dominant_region]
        st.caption(
            f"Most of the map lies in the **{summary.dominant_region}** of the image "
            f"({share:.0%}); its peak is in the {summary.peak_region}. Regions are in image "
            "coordinates: the image's left is the patient's right."
        )


def explanation(result: Explanation) -> None:
    """The explanation, headed by where it comes from (Gemini, or offline)."""
    with st.container(border=True):
        st.markdown(result.to_markdown())


def ood_details(analysis: ScanAnalysis, pixels: np.ndarray, detector_note: str = "") -> None:
    """What the out-of-distribution checks measured, for the curious."""
    found, drawn = image_statistics(pixels), drawing_statistics(pixels)
    ood = analysis.ood
    with st.expander("Does this look like a brain MRI? What the checks measured"):
        st.markdown(
            f"- colour (mean gap between a pixel's strongest and weakest channel): "
            f"{found.colour:.1f}\n"
            f"- contrast (standard deviation of the gray levels): {found.spread:.1f}\n"
            f"- dark background (share of near-black pixels): {found.dark_share:.0%}\n"
            f"- flat gray, as drawn (share of the bright part without a scanner's fine noise): "
            f"{drawn.flat_share:.0%}\n"
            + (
                f"- the model's features: distance {ood.distance:.1f} to the nearest class, "
                f"alarm above {ood.threshold:.1f}"
                if ood.distance is not None
                else f"- the model's features: not checked ({detector_note or 'no detector'}; "
                "`python benchmarks/ood_report.py --model PATH` fits one)"
            )
        )
        st.caption(
            "Verdict: "
            + ("looks like an MRI slice." if ood.looks_like_mri else "; ".join(ood.reasons))
        )


def downloads(analysis: ScanAnalysis, report: dict, stem: str) -> None:
    """Download buttons: the overlay as PNG, the report as JSON (no rerun on click)."""
    left, right = st.columns(2)
    left.download_button(
        "Download the overlay (PNG)",
        analysis.overlay_png(),
        file_name=f"{stem}_{analysis.method}_overlay.png",
        mime="image/png",
        on_click="ignore",
        icon=":material/image:",
    )
    right.download_button(
        "Download the report (JSON)",
        json.dumps(report, indent=2),
        file_name=f"{stem}_{analysis.method}_report.json",
        mime="application/json",
        on_click="ignore",
        icon=":material/description:",
    )


def timings(analysis: ScanAnalysis, load_seconds: float) -> None:
    st.caption(
        f"Prediction {analysis.prediction_ms:.0f} ms · saliency {analysis.saliency_ms:.0f} ms. "
        f"The model was loaded once for this server ({load_seconds:.1f} s) and is shared "
        "by every visitor (st.cache_resource)."
    )


def comparison_table(rows: dict[str, ScanAnalysis]) -> None:
    """One line per model: its label, confidence, runner-up and whether it is trusted."""
    table = pd.DataFrame(
        [
            {
                "model": title,
                "prediction": class_label(a.predicted_class) if a.trusted else UNTRUSTED_LABEL,
                "confidence": percent(a.confidence) if a.trusted else "-",
                "runner-up": (
                    f"{class_label(a.runner_up)} ({percent(a.runner_up_probability)})"
                    if a.trusted
                    else "-"
                ),
                "input": f"{a.scan.shape[0]} px",
                "time": f"{a.prediction_ms + a.saliency_ms:.0f} ms",
            }
            for title, a in rows.items()
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")


def file_stem(name: str) -> str:
    """A safe file name stem for downloads from an upload's name."""
    stem = Path(name).stem or "scan"
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:60]
