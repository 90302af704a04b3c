"""Where a map's mass lies, in words an explanation can use. It describes the map as drawn
(:attr:`SaliencyMap.display`), so the explanation talks about what the learner sees."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from mri_course.saliency.names import REGIONS
from mri_course.saliency.overlay import COLOURED_FLOOR, SaliencyMap

CENTRE_RADIUS = 0.25  # the central disc's radius, as a share of the image's shorter side


class EmptySaliencyError(ValueError):
    """The map is zero everywhere: there is no mass to describe."""


@dataclass(frozen=True)
class RegionSummary:
    """Where one saliency map puts its weight (all of the drawn map)."""

    method: str
    dominant_region: str  # the region holding the largest share of the mass
    mass_by_region: dict[str, float] = field(hash=False)  # in REGIONS order; they sum to 1
    peak_region: str  # the region of the highest point
    # that highest value, 0..1: near 1 for a solid patch, which the blur leaves intact; low
    # for isolated specks, spread thin
    peak_value: float
    brain_area_above_threshold: float  # the share of the brain mask the overlay colours
    threshold_percentile: float  # under it, the brain's values were set to zero

    def to_dict(self) -> dict:
        """The summary as plain Python values, for a JSON report."""
        return asdict(self)


def region_labels(height: int, width: int) -> np.ndarray:
    """Each pixel's index into ``REGIONS``: a central disc and the four quadrants around it."""
    y, x = np.mgrid[:height, :width]
    cy, cx = (height - 1) / 2, (width - 1) / 2
    quadrant = 2 * (y > cy) + (x > cx)  # in REGIONS order
    centre = (y - cy) ** 2 + (x - cx) ** 2 <= (CENTRE_RADIUS * min(height, width)) ** 2
    return np.where(centre, REGIONS.index("centre"), quadrant)


def region_summary(saliency: SaliencyMap) -> RegionSummary:
    """Where a map puts its mass. A map zero everywhere (a Grad-CAM whose channels all weigh
    against the class, say) raises :class:`EmptySaliencyError`: an even spread would be an
    invention."""
    display = np.asarray(saliency.display, dtype=np.float64)
    total = display.sum()
    if total <= 0:
        raise EmptySaliencyError(
            f"the {saliency.method} map is zero everywhere: nothing to summarise"
        )
    labels = region_labels(*display.shape)
    mass = np.bincount(labels.ravel(), weights=display.ravel(), minlength=len(REGIONS)) / total
    peak = np.unravel_index(np.argmax(display), display.shape)
    coloured = (display >= COLOURED_FLOOR) & saliency.mask
    return RegionSummary(
        method=saliency.method,
        dominant_region=REGIONS[int(np.argmax(mass))],
        mass_by_region=dict(zip(REGIONS, mass.tolist(), strict=True)),
        peak_region=REGIONS[int(labels[peak])],
        peak_value=float(display[peak]),
        brain_area_above_threshold=float(coloured.sum() / max(1, saliency.mask.sum())),
        threshold_percentile=float(saliency.threshold_percentile),
    )
