"""How every map is drawn: the brief's recipe for every method, so that two overlays differ
only by their method. Min-max normalise the values inside a brain mask, zero those under the
80th percentile, blur with the brief's Gaussian on that 0..1 scale (a hot pixel ends up faint,
a solid patch keeps its strength), colour with JET. The brief asked Gemini about "light cyan"
areas, weak values in JET: the legend names the colours read off the colour map itself."""

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
# The legend's words: a colour is named after the nearest in RGB of these matplotlib colours
COLOUR_NAMES = (
    "dark red, red, orange, yellow, light green, green, cyan, blue, dark blue, purple, magenta, "
    "black, grey, white"
)
NAMED_COLOURS = {n: matplotlib.colors.to_rgb(n.replace(" ", "")) for n in COLOUR_NAMES.split(", ")}
LEGEND_LEVELS = (1.0, 0.9, 0.75, 0.625, 0.5, 0.35, 0.15, 0.0)  # named, strongest first


def display_map(
    saliency: np.ndarray,
    mask: np.ndarray,
    threshold_percentile: float = THRESHOLD_PERCENTILE,
    blur_sigma: float = BLUR_SIGMA,
) -> np.ndarray:
    """One raw map as drawn, before its colours: float64 in 0..1 (``blur_sigma=0``: no blur)."""
    normalised = np.zeros(saliency.shape, dtype=np.float64)
    inside = np.asarray(saliency, dtype=np.float64)[mask]
    if inside.size and inside.max() > inside.min():
        normalised[mask] = (inside - inside.min()) / (inside.max() - inside.min())
        normalised[normalised < np.percentile(normalised[mask], threshold_percentile)] = 0.0
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
    display: np.ndarray  # (height, width) in 0..1: display_map(raw, mask)
    threshold_percentile: float

    @classmethod
    def drawn(cls, method: str, image: np.ndarray, raw: np.ndarray, index: int) -> SaliencyMap:
        """``raw`` as ``method`` draws it over ``image``: in the brief's circle or the brain."""
        brief = METHODS[method].brief_drawing
        mask = circular_mask(*image.shape[:2]) if brief else brain_mask(image)
        display = display_map(raw, mask, THRESHOLD_PERCENTILE)
        return cls(method, int(index), raw, mask, display, THRESHOLD_PERCENTILE)


def colourise(display: np.ndarray) -> np.ndarray:
    """A 0..1 map as ``uint8`` RGB, quantised to 256 levels as the brief's ``np.uint8``."""
    levels = np.uint8(255 * np.clip(display, 0.0, 1.0))
    return np.uint8(np.round(255 * matplotlib.colormaps[COLOUR_MAP](levels)[..., :3]))


def overlay(
    image: np.ndarray,
    display: np.ndarray,
    heat_weight: float = HEAT_WEIGHT,
    colour_everywhere: bool = False,
) -> np.ndarray:
    """The scan (RGB or grey, 0..255) under the drawn map's colours, ``uint8`` RGB.

    ``colour_everywhere`` colours zeros too, as the brief did (a dark blue wash over the
    scan); by default pixels under ``COLOURED_FLOOR`` show the plain scan.
    """
    scan = np.asarray(image, dtype=np.float64)
    if scan.ndim == 2:
        scan = np.repeat(scan[..., np.newaxis], 3, axis=-1)
    mixed = colourise(display) * heat_weight + scan * (1.0 - heat_weight)
    if not colour_everywhere:
        mixed = np.where((np.asarray(display) >= COLOURED_FLOOR)[..., np.newaxis], mixed, scan)
    return np.uint8(np.clip(np.round(mixed), 0, 255))


def colour_name(rgb: tuple[float, float, float] | np.ndarray) -> str:
    """The plain name nearest to an RGB colour (components 0..1)."""
    colour = np.asarray(rgb, dtype=np.float64)[:3]
    return min(NAMED_COLOURS, key=lambda name: np.sum((NAMED_COLOURS[name] - colour) ** 2))


def colour_legend(
    threshold_percentile: float | None = THRESHOLD_PERCENTILE,
    colour_everywhere: bool = False,
) -> str:
    """What the overlay's colours mean, in words read off the colour map itself, and (unless
    ``threshold_percentile`` is None) what an uncoloured pixel means."""
    cmap = matplotlib.colormaps[COLOUR_MAP]
    names = list(dict.fromkeys(colour_name(cmap(level)) for level in LEGEND_LEVELS))
    medium = "/".join(dict.fromkeys(colour_name(cmap(level)) for level in (0.625, 0.5)))
    text = (
        f"{names[0]} = strongest, {medium} = medium, {names[-1]} = weakest "
        f"(from strong to weak: {', '.join(names)})"
    )
    if threshold_percentile is None:
        return text
    below = f"below the {threshold_percentile:.0f}th percentile"
    if colour_everywhere:
        return f"{text}; {names[-1]} also covers everything {below} and outside the brain mask"
    return f"{text}; uncoloured = {below} of the brain's values"


def saliency_overlay(image: np.ndarray, saliency: SaliencyMap) -> np.ndarray:
    """The overlay as the method draws it: the brief's with 70% colour over the whole scan."""
    brief = METHODS[saliency.method].brief_drawing
    weight = BRIEF_HEAT_WEIGHT if brief else HEAT_WEIGHT
    return overlay(image, saliency.display, heat_weight=weight, colour_everywhere=brief)


def saliency_legend(saliency: SaliencyMap) -> str:
    """The true colour legend of :func:`saliency_overlay`'s drawing of ``saliency``."""
    brief = METHODS[saliency.method].brief_drawing
    return colour_legend(
        threshold_percentile=saliency.threshold_percentile, colour_everywhere=brief
    )
