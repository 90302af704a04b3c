"""Where the tumour is, to hold a saliency map against. The Kaggle release labels scans, it
does not outline their tumours: the synthetic scans carry their lesion masks, and the real
scan that lesson 07 explains has an ellipse drawn by hand around the mass (by the course's
author, not a radiologist: roughly where the tumour is, not its edge)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mri_course.data.index import ImageRecord
from mri_course.data.synthetic import load_synthetic_dataset
from mri_course.saliency.names import METHODS
from mri_course.saliency.overlay import SaliencyMap
from mri_course.saliency.trust import lesion_mask

HAND_OUTLINES: dict[str, tuple[float, float, float, float]] = {
    # relpath: (centre x, centre y, half-width, half-height) of an ellipse, as fractions of
    # the square image that prepare_pixels makes (this scan is square: of the file itself)
    "Testing/glioma/Te-glTr_0000.jpg": (0.55, 0.67, 0.09, 0.11),  # lesson 07's glioma
}


def tumour_outline(record: ImageRecord, image_size: int) -> np.ndarray | None:
    """The tumour of ``record`` as a boolean mask fitted as ``prepare_pixels`` fits the image
    (a synthetic scan's lesion, all False for ``notumor``; a hand outline), None if unknown."""
    dataset = load_synthetic_dataset(record.root)
    if dataset is not None:
        return lesion_mask(dataset, record.relpath, image_size)
    if record.relpath not in HAND_OUTLINES:
        return None
    centre_x, centre_y, half_width, half_height = HAND_OUTLINES[record.relpath]
    y, x = (np.mgrid[0:image_size, 0:image_size] + 0.5) / image_size
    return ((x - centre_x) / half_width) ** 2 + ((y - centre_y) / half_height) ** 2 <= 1.0


@dataclass(frozen=True)
class OnTarget:
    """How much of one drawn map lies on the tumour."""

    method: str
    peak_inside: bool  # the map's strongest pixel lies inside the outline
    share_inside: float  # the share of the drawn map's mass inside the outline
    outline_share: float  # the share of the brain the outline covers: chance for the above

    def to_text(self) -> str:
        where = "on the tumour" if self.peak_inside else "away from the tumour"
        return (
            f"{METHODS[self.method].title:<26} peak {where:<20} {self.share_inside:4.0%} of "
            f"the map on it (chance: {self.outline_share:.0%})"
        )


def on_target(saliency: SaliencyMap, outline: np.ndarray) -> OnTarget:
    """Does ``saliency``, as drawn, point at the tumour ``outline``? Its peak, and its mass
    inside against the outline's share of the brain: what an even spread would put there."""
    outline, display, brain = np.asarray(outline, dtype=bool), saliency.display, saliency.mask
    if outline.shape != display.shape:
        raise ValueError(f"outline {outline.shape} for a map of {display.shape}")
    if not outline.any():
        raise ValueError("the outline is empty: a scan without a tumour has nothing to point at")
    total = float(display.sum())
    return OnTarget(
        method=saliency.method,
        peak_inside=bool(outline[np.unravel_index(np.argmax(display), display.shape)]),
        share_inside=float(display[outline].sum()) / total if total > 0 else 0.0,
        outline_share=float((outline & brain).sum()) / max(1, int(brain.sum())),
    )
