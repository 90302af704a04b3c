"""How often a healthy brain from elsewhere gets a confident wrong label with no caution.

    python benchmarks/caution_report.py [--slices 24] [--out benchmarks/results/caution_report]

Every slice of nilearn's MNI152 template (truth: notumor) in each plane and intensity
window (:mod:`mri_course.audit.mni152`) goes through the app's own analysis
(:func:`mri_course.app.analysis.analyse_scan` with the shipped CNN): prediction, slice plane,
cautions (:mod:`mri_course.audit.caution`). Counted: wrong labels at 90% confidence or more,
and those among them shown with no caution (the course's target: at most 10% of all
slices). Confidence is either figure the app shows, the softmax or the calibrated one (the
card's temperature): a model trained with label smoothing seldom gives a softmax above 90%
even when it is sure, and its calibrated confidence is the one a reader would trust.
Writes ``<out>.md`` and ``<out>.json`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import keras

from mri_course import load_settings
from mri_course.app.analysis import CompiledModel, analyse_scan
from mri_course.audit.mni152 import CONFIDENT, WINDOWS, render_slices
from mri_course.audit.planes import PLANES
from mri_course.data.decode import load_rgb
from mri_course.data.locate import dataset_root
from mri_course.data.survey import survey_dataset
from mri_course.evaluation.uncertainty import Uncertainty
from mri_course.io import atomic_write_text
from mri_course.models.shipped import SHIPPED_CNN, shipped_card


def real_scans(compiled: CompiledModel, uncertainty: Uncertainty | None) -> dict | None:
    """Cautions on the clean test scans, right and wrong answers apart (None without data)."""
    settings = load_settings().with_profile("cpu")
    if settings.data_dir is None:
        return None
    survey = survey_dataset(dataset_root(settings), settings.cache_dir, progress=False)
    records = survey.splits(settings.profile.val_fraction, settings.seed).clean_test
    found = {
        kind: dict.fromkeys(("scans", "cautioned", "plane", "fragile"), 0)
        for kind in ("right", "wrong")
    }
    for record in records:
        analysis = analyse_scan(
            compiled, load_rgb(record.path), "gradcam", "shipped_cnn", uncertainty=uncertainty
        )
        row = found["right" if analysis.predicted_class == record.label else "wrong"]
        row["scans"] += 1
        row["cautioned"] += bool(analysis.cautions)
        row["plane"] += any(c.startswith("This scan looks") for c in analysis.cautions)
        row["fragile"] += any(c.startswith("The answer is fragile") for c in analysis.cautions)
    return {"scans": len(records), **found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slices", type=int, default=24)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/caution_report"))
    args = parser.parse_args()
    compiled = CompiledModel(keras.models.load_model(SHIPPED_CNN, compile=False))
    uncertainty = Uncertainty.from_card(shipped_card())
    rows, totals = [], {"slices": 0, "confident_wrong": 0, "without_caution": 0}
    for window_name, window in WINDOWS.items():
        for plane in PLANES:
            found = {"slices": 0, "confident_wrong": 0, "without_caution": 0, "cautioned": 0}
            detected = dict.fromkeys(PLANES, 0)
            for pixels in render_slices(plane, args.slices, window=window):
                analysis = analyse_scan(
                    compiled, pixels, "gradcam", "shipped_cnn", uncertainty=uncertainty
                )
                confident = analysis.shown_confidence >= CONFIDENT
                wrong = analysis.predicted_class != "notumor" and confident
                found["slices"] += 1
                found["cautioned"] += bool(analysis.cautions)
                found["confident_wrong"] += wrong
                found["without_caution"] += wrong and not analysis.cautions
                detected[analysis.plane] += 1
            rows.append({"window": window_name, "plane": plane, **found, "detected": detected})
            for key in totals:
                totals[key] += found[key]
    share = totals["without_caution"] / totals["slices"]
    real = real_scans(compiled, uncertainty)
    by = (
        f"by the softmax or the calibrated confidence (temperature {uncertainty.temperature:.3f} "
        "from the model card), whichever is higher"
        if uncertainty
        else "by the softmax (the model card has no calibration)"
    )
    lines = [
        "# Cautions on a healthy brain from elsewhere",
        "",
        f"Produced by `python benchmarks/caution_report.py` on {platform.platform()}: the "
        f"shipped CNN through the app's analysis on {args.slices} MNI152 slices per plane and "
        f"window (truth: notumor). Confident wrong: a tumour label at >= {CONFIDENT:.0%}, {by}. "
        "Detected plane: what the course's plane classifier said.",
        "",
        "| window | plane | slices | with a caution | confident wrong | of which no caution "
        "| detected axial / coronal / sagittal |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        planes = " / ".join(str(row["detected"][p]) for p in PLANES)
        lines.append(
            f"| {row['window']} | {row['plane']} | {row['slices']} | {row['cautioned']} | "
            f"{row['confident_wrong']} | {row['without_caution']} | {planes} |"
        )
    lines += [
        "",
        f"All slices: {totals['confident_wrong']} of {totals['slices']} confidently wrong; "
        f"**{totals['without_caution']} ({share:.1%}) with no caution shown** (target <= 10%).",
        "",
    ]
    if real:
        lines += [
            "The price on real scans: the clean test set (" + f"{real['scans']} scans) through "
            "the same analysis. A caution on a right answer is a false alarm; on a wrong one, "
            "a warning that was due.",
            "",
            "| | scans | with a caution | plane caution | fragility caution |",
            "|---|---:|---:|---:|---:|",
        ]
        for kind in ("right", "wrong"):
            row = real[kind]
            lines.append(
                f"| {kind} | {row['scans']} | {row['cautioned']} | {row['plane']} | "
                f"{row['fragile']} |"
            )
        lines.append("")
    markdown = "\n".join(lines)
    report = {"rows": rows, "totals": totals, "share_without_caution": share, "clean_test": real}
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=2) + "\n")
    print(markdown)


if __name__ == "__main__":
    main()
