"""Where a map's mass lies, in words an explanation can use: the region summary.

Regions are in IMAGE coordinates: "upper left" is the top left of the picture as drawn. A
radiological image shows the patient's right on the image's left, so "left" here is not the
patient's left. Five disjoint regions cover the image: a central disc (its diameter half
the image's shorter side) and the four quadrants around it.

The summary describes the map *as drawn* (:attr:`SaliencyMap.display`): what the learner
sees in the overlay is what the explanation talks about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mri_course.saliency.display import COLOURED_FLOOR
from mri_course.saliency.methods import SaliencyMap

REGIONS = ("upper left", "upper right", "lower left", "lower right", "centre")
CENTRE_RADIUS = 0.25
"""The central disc's radius, as a share of the image's shorter side."""


class EmptySaliencyError(ValueError):
    """The map is zero everywhere: there is no mass to describe."""


@dataclass(frozen=True)
class RegionSummary:
    """Where one saliency map puts its weight.

    Attributes:
        method: the saliency method.
        dominant_region: the region holding the largest share of the drawn map's mass.
        mass_by_region: each region's share of that mass; the shares sum to 1.
        peak_region: the region of the drawn map's highest point.
        peak_value: that highest value, 0..1: near 1 when the strongest evidence is a solid
            patch, which the blur leaves intact; low when it is isolated specks, which the
            blur spreads thin.
        brain_area_above_threshold: the share of the brain mask that the overlay colours
            (values above the threshold, widened a little by the blur).
        threshold_percentile: the percentile of the brain's values under which the map was
            set to zero.
    """

    method: str
    dominant_region: str
    mass_by_region: dict[str, float] = field(hash=False)
    peak_region: str
    peak_value: float
    brain_area_above_threshold: float
    threshold_percentile: float

    def to_dict(self) -> dict:
        """The summary as plain Python values (the explanation module reads this dict)."""
        return {
            "method": self.method,
            "dominant_region": self.dominant_region,
            "mass_by_region": {region: self.mass_by_region[region] for region in REGIONS},
            "peak_region": self.peak_region,
            "peak_value": self.peak_value,
            "brain_area_above_threshold": self.brain_area_above_threshold,
            "threshold_percentile": self.threshold_percentile,
        }


def region_labels(height: int, width: int) -> np.ndarray:
    """Each pixel's region, as an index into ``REGIONS`` ``(height, width)``.

    The centre is a disc around the image centre; the other pixels belong to the quadrant
    they lie in (split at the image's middle row and column).
    """
    y, x = np.mgrid[:height, :width]
    cy, cx = (height - 1) / 2, (width - 1) / 2
    lower, right = y > cy, x > cx
    labels = 2 * lower + right  # 0 upper left, 1 upper right, 2 lower left, 3 lower right
    centre = (y - cy) ** 2 + (x - cx) ** 2 <= (CENTRE_RADIUS * min(height, width)) ** 2
    return np.where(centre, REGIONS.index("centre"), labels)


def region_summary(saliency: SaliencyMap) -> RegionSummary:
    """Summarise where a :class:`SaliencyMap` puts its mass (see :class:`RegionSummary`).

    Raises:
        EmptySaliencyError: when the drawn map is zero everywhere (for instance a Grad-CAM
            whose weighted channels are all negative): there is nothing to describe, and
            an even spread would be an invention.
    """
    display = np.asarray(saliency.display, dtype=np.float64)
    total = display.sum()
    if total <= 0:
        raise EmptySaliencyError(
            f"the {saliency.method} map is zero everywhere: nothing to summarise"
        )
    labels = region_labels(*display.shape)
    mass = np.bincount(labels.ravel(), weights=display.ravel(), minlength=len(REGIONS)) / total
    peak = np.unravel_index(np.argmax(display), display.shape)
    brain = saliency.mask
    coloured = (display >= COLOURED_FLOOR) & brain
    return RegionSummary(
        method=saliency.method,
        dominant_region=REGIONS[int(np.argmax(mass))],
        mass_by_region={region: float(share) for region, share in zip(REGIONS, mass, strict=True)},
        peak_region=REGIONS[int(labels[peak])],
        peak_value=float(display[peak]),
        brain_area_above_threshold=float(coloured.sum() / max(1, brain.sum())),
        threshold_percentile=float(saliency.threshold_percentile),
    )
