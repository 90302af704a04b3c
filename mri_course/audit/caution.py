"""When the measured evidence says a prediction deserves less trust, say so, with the figure.

Two kinds of evidence, both measured, never guessed:

* **The plane.** The training set shows healthy brains almost only from above: of its
  scans seen from the side (sagittal) or the front (coronal), only a few percent are
  healthy (:func:`healthy_share`, counted from the plane labels the course ships). A model
  can learn "side view, so tumour" from that. A tumour label on such a scan gets a caution
  naming the share. The CNN shipped before the mitigations called a healthy brain from
  elsewhere seen from the side a tumour, often with over 90% confidence
  (``benchmarks/results/mni152_report_before_mitigation.md``); the shipped CNN, trained
  against it, rarely does (``mni152_report.md``), but any other model may.
* **Fragility.** The same scan, its border cropped by 15% or turned by 10 degrees (the two
  stress tests the course sets a target for, ``benchmarks/results/stress_report.md``): an
  answer that changes under so small a change hangs on framing, not anatomy.

The app shows the cautions next to the prediction, and the explanation (Gemini's or the
offline one) receives them as facts. ``benchmarks/caution_report.py`` measures how often a
healthy MNI152 slice still gets a wrong label at 90% confidence or more with no caution.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable

import numpy as np

from mri_course.audit.planes import PLANES, read_labels
from mri_course.audit.stress import TARGET_KEYS, default_perturbations
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.release import CLASS_NAMES

RARELY_HEALTHY = 0.10
"""A plane whose training scans are less than this share healthy: the model rarely saw a
healthy brain that way, so it may take the plane for a tumour."""

PLANE_DOUBT = 0.25
"""A rarely-healthy plane counts when the plane classifier gives it at least this much: on
brains unlike the dataset's (skull-stripped ones) it is often unsure between planes
(``benchmarks/results/plane_labels.md``), and a doubt must not silence the caution."""

PLANE_WORDS = {"axial": "from above", "coronal": "from the front", "sagittal": "from the side"}


@functools.lru_cache(maxsize=1)
def training_counts() -> dict[str, Counter]:
    """Distinct training images (exact copies once) per plane and class, from the plane
    labels the course ships, so no dataset is needed; per-image counts, copies included,
    are in ``benchmarks/results/confounds_report.md``."""
    counts = {plane: Counter() for plane in PLANES}
    for row in read_labels():
        split, label = row["relpath"].split("/")[:2]
        if split == "Training":
            counts[row["plane"]][label] += 1
    return counts


def healthy_share(plane: str) -> tuple[float, int, int]:
    """``(share, healthy, all)``: how many distinct training scans in ``plane`` are healthy."""
    counts = training_counts()[plane]
    total = sum(counts.values())
    return counts["notumor"] / total, counts["notumor"], total


def plane_caution(plane_probabilities: dict[str, float], predicted_class: str) -> str | None:
    """A caution for a tumour label when the scan is, or may well be, in a plane the model
    rarely saw healthy (the likeliest such plane with at least ``PLANE_DOUBT``); else None."""
    if predicted_class == "notumor":
        return None
    for plane in sorted(plane_probabilities, key=plane_probabilities.get, reverse=True):
        share, healthy, total = healthy_share(plane)
        probability = plane_probabilities[plane]
        if share < RARELY_HEALTHY and probability >= PLANE_DOUBT:
            return (
                f"This scan looks {plane}, seen {PLANE_WORDS[plane]} ({probability:.0%} by the "
                f"course's plane classifier). Only {share:.0%} of the distinct training scans "
                f"seen that way were healthy ({healthy} of {total}), so the model may read the "
                f"view itself as a sign of a tumour: treat this {predicted_class} label with "
                "caution."
            )
    return None


def fragility_caution(
    classify: Callable[[np.ndarray], np.ndarray],
    image_size: int,
    pixels: np.ndarray,
    predicted: int,
) -> str | None:
    """A caution when cropping the border by 15% or turning the scan by 10 degrees changes
    the model's answer, naming the change; None when both leave it as it is.

    Args:
        classify: a batch ``(n, image_size, image_size, 3)`` -> class probabilities, e.g.
            ``model.predict_on_batch`` or the app's compiled forward pass.
        image_size: the model's input side.
        pixels: the decoded scan, as the model got it before ``prepare_pixels``.
        predicted: the class index the model gave the scan as it is.
    """
    targets = [p for p in default_perturbations(image_size) if p.key in TARGET_KEYS]
    batch = np.stack([prepare_pixels(p.apply(pixels), image_size) for p in targets])
    answers = np.asarray(classify(batch)).argmax(axis=1)
    changes = [
        f"{p.family} {p.setting.split(' (')[0]}: {CLASS_NAMES[int(answer)]}"
        for p, answer in zip(targets, answers, strict=True)
        if answer != predicted
    ]
    if not changes:
        return None
    return (
        "The answer is fragile: it changes when the scan is slightly reframed ("
        + "; ".join(changes)
        + "), so it hangs on the framing more than on the anatomy."
    )


def cautions_for(
    classify: Callable[[np.ndarray], np.ndarray],
    image_size: int,
    pixels: np.ndarray,
    plane_probabilities: dict[str, float],
    predicted: int,
) -> tuple[str, ...]:
    """Every caution that applies to one scan's prediction, the plane's first."""
    found = (
        plane_caution(plane_probabilities, CLASS_NAMES[predicted]),
        fragility_caution(classify, image_size, pixels, predicted),
    )
    return tuple(caution for caution in found if caution)
