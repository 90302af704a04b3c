"""Images that are not brain MRI scans, generated, to measure the out-of-distribution checks.

A check that is meant to catch "this is not an MRI" has to be tried on things that are not
MRIs. Nobody uploads a random array, though: people upload holiday photos, screenshots,
scanned letters, an X-ray of another body part, a blank export. Each kind below imitates
one of those, in a few lines of NumPy and Pillow, with a seed, so the measurement can be
repeated anywhere without downloading anything.

=================  ==================================================================
kind               imitates
=================  ==================================================================
``colour photo``   a photo: smooth colour fields and a few coloured shapes
``gray photo``     the same photo in black and white
``blank black``    an empty (black) export, with a little sensor noise
``blank white``    a white page
``blank gray``     a flat gray frame
``document``       black text on white paper
``noise``          television static
``gray texture``   a gray natural texture (clouds, sand, bark)
``gray gradient``  a smooth ramp from black to white
``x-ray-like``     a bright chest-shaped blob on black: gray, structured, dark background
=================  ==================================================================

The last kind passes every image check by design: only a model-based check can catch it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy.ndimage import gaussian_filter

LETTER = (
    "the patient attended the clinic on monday and was reviewed by the team who noted "
    "that the results of the tests were within the expected range and a further "
    "appointment was arranged in six weeks with a letter sent to the family doctor"
)
"""The words of the generated documents."""


def _size(rng: np.random.Generator) -> tuple[int, int]:
    """A photo-like size: (height, width) between 160 and 400 pixels, not always square."""
    return int(rng.integers(160, 401)), int(rng.integers(160, 401))


def _smooth_field(rng: np.random.Generator, height: int, width: int, sigma: float) -> np.ndarray:
    """Smooth random values rescaled to 0..1."""
    field = gaussian_filter(rng.normal(size=(height, width)), sigma)
    return (field - field.min()) / max(np.ptp(field), 1e-9)


def colour_photo(rng: np.random.Generator) -> np.ndarray:
    height, width = _size(rng)
    sigma = float(rng.uniform(8, 30))
    channels = [_smooth_field(rng, height, width, sigma) for _ in range(3)]
    image = Image.fromarray(np.uint8(255 * np.stack(channels, axis=-1)))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 8))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(20, width // 2)), y0 + int(rng.integers(20, height // 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=colour)
    return np.asarray(image)


def gray_photo(rng: np.random.Generator) -> np.ndarray:
    gray = colour_photo(rng).mean(axis=-1, keepdims=True)
    return np.repeat(np.uint8(np.round(gray)), 3, axis=-1)


def _flat(level: float, spread: float) -> Callable[[np.random.Generator], np.ndarray]:
    def blank(rng: np.random.Generator) -> np.ndarray:
        height, width = _size(rng)
        values = level + rng.normal(scale=spread, size=(height, width))
        gray = np.uint8(np.clip(np.round(values), 0, 255))
        return np.repeat(gray[..., np.newaxis], 3, axis=-1)

    return blank


def blank_gray(rng: np.random.Generator) -> np.ndarray:
    return _flat(float(rng.uniform(60, 200)), 1.0)(rng)


def document(rng: np.random.Generator) -> np.ndarray:
    height, width = _size(rng)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default()
    margin, line = 12, 14
    for top in range(margin, height - margin - line, line):
        words = rng.choice(LETTER.split(), size=int(rng.integers(4, 12)))
        draw.text((margin, top), " ".join(words), fill=int(rng.integers(0, 60)), font=font)
    gray = np.asarray(page)
    return np.repeat(gray[..., np.newaxis], 3, axis=-1)


def noise(rng: np.random.Generator) -> np.ndarray:
    height, width = _size(rng)
    gray = rng.integers(0, 256, size=(height, width), dtype=np.uint8)
    return np.repeat(gray[..., np.newaxis], 3, axis=-1)


def gray_texture(rng: np.random.Generator) -> np.ndarray:
    height, width = _size(rng)
    fine = _smooth_field(rng, height, width, float(rng.uniform(1, 3)))
    coarse = _smooth_field(rng, height, width, float(rng.uniform(10, 25)))
    mixed = 0.6 * coarse + 0.4 * fine
    lo, hi = np.percentile(mixed, [2, 98])
    stretched = np.clip((mixed - lo) / max(hi - lo, 1e-9), 0, 1)  # full contrast, like a photo
    low = rng.uniform(30, 100)
    gray = low + rng.uniform(90, 150) * stretched
    return np.repeat(np.uint8(np.round(gray))[..., np.newaxis], 3, axis=-1)


def gray_gradient(rng: np.random.Generator) -> np.ndarray:
    height, width = _size(rng)
    angle = rng.uniform(0, 2 * np.pi)
    y, x = np.mgrid[:height, :width]
    ramp = np.cos(angle) * x + np.sin(angle) * y
    gray = 255 * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-9)
    return np.repeat(np.uint8(np.round(gray))[..., np.newaxis], 3, axis=-1)


def xray_like(rng: np.random.Generator) -> np.ndarray:
    """A chest-like silhouette: a bright body with two darker lungs and a spine, on black."""
    height, width = _size(rng)
    y, x = np.mgrid[:height, :width] / np.array([height, width])[:, None, None]
    body = ((x - 0.5) / 0.42) ** 2 + ((y - 0.55) / 0.45) ** 2 <= 1
    lungs = np.zeros_like(body)
    for centre in (0.33, 0.67):
        lungs |= ((x - centre) / 0.13) ** 2 + ((y - 0.5) / 0.3) ** 2 <= 1
    spine = (np.abs(x - 0.5) < 0.03) & body
    gray = np.where(body, 170.0, 0.0) - 90.0 * lungs + 60.0 * spine
    gray = gaussian_filter(gray, 2.0) + rng.normal(scale=4.0, size=gray.shape) * body
    gray = np.uint8(np.clip(np.round(gray), 0, 255))
    return np.repeat(gray[..., np.newaxis], 3, axis=-1)


GENERATORS: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "colour photo": colour_photo,
    "gray photo": gray_photo,
    "blank black": _flat(2.0, 1.0),
    "blank white": _flat(253.0, 1.0),
    "blank gray": blank_gray,
    "document": document,
    "noise": noise,
    "gray texture": gray_texture,
    "gray gradient": gray_gradient,
    "x-ray-like": xray_like,
}
KINDS = tuple(GENERATORS)


def not_mri_image(kind: str, seed: int = 0) -> np.ndarray:
    """One generated image of ``kind`` (see ``KINDS``), ``uint8`` RGB ``(height, width, 3)``."""
    if kind not in GENERATORS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return GENERATORS[kind](np.random.default_rng([KINDS.index(kind), seed]))


def not_mri_images(per_kind: int = 20, seed: int = 0) -> dict[str, list[np.ndarray]]:
    """``per_kind`` images of every kind, fixed by ``seed``: kind -> list of images."""
    return {
        kind: [not_mri_image(kind, seed * 100_000 + k) for k in range(per_kind)] for kind in KINDS
    }
