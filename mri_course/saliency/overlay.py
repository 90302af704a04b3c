"""Colours over the scan, and a legend that says what the colours really mean.

The brief's prompt asked Gemini about the "light cyan" areas. In the JET colour map the
strongest values are dark red, then red, orange, yellow, light green, cyan, blue, and the
weakest dark blue: light cyan marks weak-to-medium values. :func:`colour_legend` names
the colours from the colour map itself, so the legend cannot disagree with the drawing.
"""

from __future__ import annotations

import matplotlib
import numpy as np

from mri_course.saliency.display import COLOURED_FLOOR, THRESHOLD_PERCENTILE, SaliencyMap
from mri_course.saliency.names import METHODS

COLOUR_MAP = "jet"
"""The brief's colour map (OpenCV's COLORMAP_JET; matplotlib's ``jet`` is the same ramp)."""

HEAT_WEIGHT = 0.6
"""Share of the colour in a coloured pixel of the course's overlay."""

BRIEF_HEAT_WEIGHT = 0.7
"""The brief's ``superimposed = heatmap * 0.7 + original * 0.3``."""

NAMED_COLOURS: dict[str, tuple[float, float, float]] = {
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
"""Plain colour names, for naming what a colour map draws (nearest in RGB)."""

LEGEND_LEVELS = (1.0, 0.9, 0.75, 0.625, 0.5, 0.35, 0.15, 0.0)
"""The values, strongest first, whose colours the legend names."""


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
    """The scan with the map's colours laid over it, as ``uint8`` RGB.

    Args:
        image: the scan ``(height, width, 3)`` (or grey ``(height, width)``), ``0..255``.
        display: the map to draw, ``(height, width)`` in 0..1 (see ``display.display_map``).
        colour_map: a matplotlib colour map name.
        heat_weight: the colour's share in a coloured pixel; the scan gets the rest.
        colour_everywhere: colour every pixel, zeros too, as the brief did (a dark blue
            wash over the scan); by default pixels under ``COLOURED_FLOOR`` (below the
            threshold) show the plain scan.
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

    For the JET map: ``"dark red = strongest, yellow/light green = medium, dark blue =
    weakest (from strong to weak: dark red, red, orange, yellow, light green, cyan, blue,
    dark blue); uncoloured = below the 80th percentile of the brain's values"``.

    Args:
        colour_map: the matplotlib colour map the overlay used.
        threshold_percentile: the percentile under which the map was set to zero, or None.
        colour_everywhere: the overlay coloured the zeros too (the brief's way).
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


def brief_overlay(image: np.ndarray, brief_map: np.ndarray) -> np.ndarray:
    """The brief's drawing: the JET colours over the whole scan, 70% heat and 30% image."""
    return overlay(image, brief_map, heat_weight=BRIEF_HEAT_WEIGHT, colour_everywhere=True)


def saliency_overlay(image: np.ndarray, saliency: SaliencyMap) -> np.ndarray:
    """The overlay as the method draws it (``uint8`` RGB): the brief's colours the whole scan."""
    if METHODS[saliency.method].brief_drawing:
        return brief_overlay(image, saliency.display)
    return overlay(image, saliency.display)


def saliency_legend(saliency: SaliencyMap) -> str:
    """The true colour legend of :func:`saliency_overlay`'s drawing of ``saliency``."""
    return colour_legend(
        threshold_percentile=saliency.threshold_percentile,
        colour_everywhere=METHODS[saliency.method].brief_drawing,
    )
