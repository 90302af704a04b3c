"""How every map is drawn: the brief's post-processing, its colours, and a true legend.

Every method (the brief's and the better ones) goes through the same steps, so a difference
between two overlays comes from the method, not from the drawing:

1. keep the values inside a brain mask (the brief's circle, or the brain found in the image);
2. min-max normalise them to 0..1 inside the mask;
3. set everything below the 80th percentile of the brain's values to zero;
4. blur with the brief's Gaussian: OpenCV's ``GaussianBlur(x, (11, 11), 0)`` is sigma 2
   over an 11 x 11 kernel, edges mirrored. The map stays on the 0..1 scale of step 2: an
   isolated hot pixel is spread thin and ends up faint, a solid hot patch keeps its strength;
5. colour it with the JET colour map over the scan.

The brief asked Gemini about the "light cyan" areas, which in JET mark weak-to-medium
values (dark red is the strongest): :func:`colour_legend` reads the colours' names off the
colour map itself, so the legend cannot disagree with the drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
from scipy.ndimage import gaussian_filter

from mri_course.saliency.mask import brain_mask, circular_mask
from mri_course.saliency.names import METHODS

THRESHOLD_PERCENTILE = 80.0  # the brief keeps the top 20% of the brain's values
BLUR_SIGMA = 2.0  # OpenCV's sigma for an 11-pixel kernel: 0.3 * ((11 - 1) / 2 - 1) + 0.8
BLUR_TRUNCATE = 2.5  # kernel radius in sigmas: 5 pixels each side, the brief's 11 x 11
COLOURED_FLOOR = 0.02  # values under this (the blur's faint tails) are left uncoloured
COLOUR_MAP = "jet"  # the brief's OpenCV COLORMAP_JET; matplotlib's is the same ramp
HEAT_WEIGHT = 0.6  # the colour's share in a coloured pixel of the course's overlay
BRIEF_HEAT_WEIGHT = 0.7  # the brief's ``heatmap * 0.7 + original * 0.3``
NAMED_COLOURS: dict[str, tuple[float, float, float]] = {  # the legend's words, nearest in RGB
    "dark red": (0.5, 0.0, 0.0),
    "red": (1.0, 0.0, 0.0),
    "orange": (1.0, 0.55, 0.0),
    "yellow": (1.0, 1.0, 0.0),
    "light green": (0.5, 1.0, 0.5),
    "green": (0.0, 0.6, 0.0),
    "cyan": (0.0, 1.0, 1.0),
    "blue": (0.0, 0.0, 1.0),
    "dark blue": (0.0, 0.0, 0.5),
    "purple": (0.5, 0.0, 0.5),
    "magenta": (1.0, 0.0, 1.0),
    "black": (0.0, 0.0, 0.0),
    "grey": (0.5, 0.5, 0.5),
    "white": (1.0, 1.0, 1.0),
}
LEGEND_LEVELS = (1.0, 0.9, 0.75, 0.625, 0.5, 0.35, 0.15, 0.0)  # named, strongest first


def display_map(
    saliency: np.ndarray,
    mask: np.ndarray,
    threshold_percentile: float = THRESHOLD_PERCENTILE,
    blur_sigma: float = BLUR_SIGMA,
) -> np.ndarray:
    """One raw map ``(height, width)`` as drawn (steps 1 to 4): float64 in 0..1.

    ``mask`` is the boolean brain mask; ``blur_sigma=0`` skips the blur.
    """
    normalised = np.zeros(saliency.shape, dtype=np.float64)
    inside = np.asarray(saliency, dtype=np.float64)[mask]
    if inside.size and inside.max() > inside.min():
        normalised[mask] = (inside - inside.min()) / (inside.max() - inside.min())
        threshold = np.percentile(normalised[mask], threshold_percentile)
        normalised[normalised < threshold] = 0.0
    if blur_sigma <= 0:
        return normalised
    return gaussian_filter(normalised, sigma=blur_sigma, truncate=BLUR_TRUNCATE, mode="mirror")


@dataclass(frozen=True)
class SaliencyMap:
    """One image's map from one method, raw and as drawn."""

    method: str  # a key of names.METHODS
    class_index: int  # the class explained
    raw: np.ndarray  # (height, width) >= 0, the method's own values, not masked
    mask: np.ndarray  # (height, width) bool: the brain mask the method uses
    display: np.ndarray  # (height, width) in 0..1: masked, normalised, thresholded, blurred
    threshold_percentile: float

    @classmethod
    def drawn(
        cls,
        method: str,
        image: np.ndarray,
        raw: np.ndarray,
        class_index: int,
        threshold_percentile: float = THRESHOLD_PERCENTILE,
    ) -> SaliencyMap:
        """The map of ``raw`` as ``method`` draws it over ``image``: in the brief's circle,
        or in the brain found in the image."""
        brief = METHODS[method].brief_drawing
        mask = circular_mask(*image.shape[:2]) if brief else brain_mask(image)
        display = display_map(raw, mask, threshold_percentile)
        return cls(method, int(class_index), raw, mask, display, threshold_percentile)


def colourise(display: np.ndarray, colour_map: str = COLOUR_MAP) -> np.ndarray:
    """A 0..1 map as ``uint8`` RGB colours ``(height, width, 3)``, quantised to 256 levels
    as the brief's ``np.uint8(255 * map)`` was."""
    levels = np.uint8(255 * np.clip(display, 0.0, 1.0))
    return np.uint8(np.round(255 * matplotlib.colormaps[colour_map](levels)[..., :3]))


def overlay(
    image: np.ndarray,
    display: np.ndarray,
    colour_map: str = COLOUR_MAP,
    heat_weight: float = HEAT_WEIGHT,
    colour_everywhere: bool = False,
) -> np.ndarray:
    """The scan (RGB or grey, 0..255) with the drawn map's colours laid over it, ``uint8`` RGB.

    ``heat_weight`` is the colour's share in a coloured pixel. ``colour_everywhere`` colours
    zeros too, as the brief did (a dark blue wash over the scan); by default pixels under
    ``COLOURED_FLOOR`` show the plain scan.
    """
    scan = np.asarray(image, dtype=np.float64)
    if scan.ndim == 2:
        scan = np.repeat(scan[..., np.newaxis], 3, axis=-1)
    heat = colourise(display, colour_map).astype(np.float64)
    mixed = heat * heat_weight + scan * (1.0 - heat_weight)
    if not colour_everywhere:
        coloured = (np.asarray(display) >= COLOURED_FLOOR)[..., np.newaxis]
        mixed = np.where(coloured, mixed, scan)
    return np.uint8(np.clip(np.round(mixed), 0, 255))


def colour_name(rgb: tuple[float, float, float] | np.ndarray) -> str:
    """The plain name nearest to an RGB colour (components 0..1)."""
    colour = np.asarray(rgb, dtype=np.float64)[:3]
    return min(
        NAMED_COLOURS, key=lambda name: np.sum((np.array(NAMED_COLOURS[name]) - colour) ** 2)
    )


def colour_legend(
    colour_map: str = COLOUR_MAP,
    threshold_percentile: float | None = THRESHOLD_PERCENTILE,
    colour_everywhere: bool = False,
) -> str:
    """What the overlay's colours mean, in words, read off the colour map itself.

    For JET: ``"dark red = strongest, yellow/light green = medium, dark blue = weakest (from
    strong to weak: dark red, red, ...); uncoloured = below the 80th percentile of the
    brain's values"``; without ``threshold_percentile`` the part after ``;`` is left out.
    """
    cmap = matplotlib.colormaps[colour_map]
    names: list[str] = []
    for level in LEGEND_LEVELS:
        name = colour_name(cmap(level))
        if not names or names[-1] != name:
            names.append(name)
    medium = "/".join(dict.fromkeys(colour_name(cmap(level)) for level in (0.625, 0.5)))
    text = (
        f"{names[0]} = strongest, {medium} = medium, {names[-1]} = weakest "
        f"(from strong to weak: {', '.join(names)})"
    )
    if threshold_percentile is None:
        return text
    if colour_everywhere:
        return (
            f"{text}; {names[-1]} also covers everything below the "
            f"{threshold_percentile:.0f}th percentile and outside the brain mask"
        )
    below = f"{threshold_percentile:.0f}th percentile of the brain's values"
    return f"{text}; uncoloured = below the {below}"


def saliency_overlay(image: np.ndarray, saliency: SaliencyMap) -> np.ndarray:
    """The overlay as the method draws it: the brief's with 70% colour over the whole scan."""
    if METHODS[saliency.method].brief_drawing:
        return overlay(
            image, saliency.display, heat_weight=BRIEF_HEAT_WEIGHT, colour_everywhere=True
        )
    return overlay(image, saliency.display)


def saliency_legend(saliency: SaliencyMap) -> str:
    """The true colour legend of :func:`saliency_overlay`'s drawing of ``saliency``."""
    return colour_legend(
        threshold_percentile=saliency.threshold_percentile,
        colour_everywhere=METHODS[saliency.method].brief_drawing,
    )
