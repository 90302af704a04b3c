"""Images that are not brain MRI scans, generated, to measure the out-of-distribution checks.

A check that is meant to catch "this is not an MRI" has to be tried on things that are not
MRIs. Nobody uploads a random array, though: people upload holiday photos, screenshots,
scanned letters, an X-ray of another body part, a blank export. Each kind below imitates
one of those, in a few lines of NumPy and Pillow, with a seed, so the measurement can be
repeated anywhere without downloading anything.

====================  ======================================================================
kind                  imitates
====================  ======================================================================
``colour photo``      a photo: smooth colour fields and a few coloured shapes
``gray photo``        the same photo in black and white
``blank black``       an empty (black) export, with a little sensor noise
``blank white``       a white page
``blank gray``        a flat gray frame
``document``          black text on white paper
``noise``             television static
``gray texture``      a gray natural texture (clouds, sand, bark)
``gray gradient``     a smooth ramp from black to white
``x-ray-like``        a bright chest-shaped blob on black: gray, structured, dark background
``gray disc``         a filled gray disc or ellipse on black, the simplest fake "head"
``smiley``            a gray face on black: a disc with two eyes and a mouth
``line drawing``      outlines and strokes on black, as drawn with a pen tool
``shapes``            a few filled gray ellipses, boxes and polygons on black
``drawing, JPEG``     one of the four drawings above, saved as a JPEG (noise at its edges)
``drawing, blurred``  one of them lightly blurred (a resized screenshot), half as JPEG
====================  ======================================================================

The x-ray-like kind passes the image checks and the drawing check of :mod:`mri_course.app.ood`
by design (gray, structured, noisy, on black): only a model-based check can catch it. The
drawings (the last six kinds) pass the image checks too; the drawing check is for them.
"""

from __future__ import annotations

import io
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


def _canvas(rng: np.random.Generator) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A black gray-level canvas of a photo-like size, and a pen to draw on it."""
    height, width = _size(rng)
    canvas = Image.new("L", (width, height), 0)
    return canvas, ImageDraw.Draw(canvas)


def _rgb(canvas: Image.Image) -> np.ndarray:
    return np.asarray(canvas.convert("RGB"))


def _oval(rng: np.random.Generator, canvas: Image.Image, low: float, high: float):
    """Centre and radii of an oval near the middle, its radii ``low..high`` of the short side."""
    width, height = canvas.size
    centre_x = width * (0.5 + rng.uniform(-0.08, 0.08))
    centre_y = height * (0.5 + rng.uniform(-0.08, 0.08))
    radius_x = min(width, height) * rng.uniform(low, high)
    radius_y = radius_x * (1.0 if rng.random() < 0.5 else rng.uniform(0.7, 1.3))
    return centre_x, centre_y, radius_x, radius_y


def gray_disc(rng: np.random.Generator) -> np.ndarray:
    canvas, draw = _canvas(rng)
    x, y, rx, ry = _oval(rng, canvas, 0.2, 0.42)
    draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=int(rng.integers(60, 231)))
    return _rgb(canvas)


def smiley(rng: np.random.Generator) -> np.ndarray:
    canvas, draw = _canvas(rng)
    x, y, rx, ry = _oval(rng, canvas, 0.25, 0.42)
    draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=int(rng.integers(110, 231)))
    features = int(rng.integers(0, 50))  # eyes and mouth: dark on the face
    for side in (-1, 1):
        ex, ey, er = x + side * 0.35 * rx, y - 0.3 * ry, 0.12 * min(rx, ry)
        draw.ellipse((ex - er, ey - er, ex + er, ey + er), fill=features)
    mouth = (x - 0.55 * rx, y - 0.3 * ry, x + 0.55 * rx, y + 0.6 * ry)
    draw.arc(mouth, 20, 160, fill=features, width=max(2, int(rx / 10)))
    return _rgb(canvas)


def _polygon(rng: np.random.Generator, x: float, y: float, radius: float) -> list[tuple]:
    """The corners of a random polygon of 3 to 6 sides around ``(x, y)``."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, size=int(rng.integers(3, 7))))
    radii = radius * rng.uniform(0.6, 1.0, size=len(angles))
    return [(x + r * np.cos(a), y + r * np.sin(a)) for r, a in zip(radii, angles, strict=True)]


def _spot(rng: np.random.Generator, canvas: Image.Image, low: float, high: float):
    """A random centre away from the edges and a radius ``low..high`` of the short side."""
    width, height = canvas.size
    radius = min(width, height) * rng.uniform(low, high)
    return rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height, radius


def line_drawing(rng: np.random.Generator) -> np.ndarray:
    canvas, draw = _canvas(rng)
    for _ in range(int(rng.integers(2, 7))):
        x, y, r = _spot(rng, canvas, 0.08, 0.3)
        pen = {"fill": int(rng.integers(120, 256)), "width": int(rng.integers(1, 7))}
        shape = rng.choice(["oval", "box", "polygon", "stroke"])
        if shape == "oval":
            draw.ellipse(
                (x - r, y - 0.7 * r, x + r, y + 0.7 * r), outline=pen["fill"], width=pen["width"]
            )
        elif shape == "box":
            draw.rectangle(
                (x - r, y - 0.6 * r, x + r, y + 0.6 * r), outline=pen["fill"], width=pen["width"]
            )
        elif shape == "polygon":
            corners = _polygon(rng, x, y, r)
            draw.line([*corners, corners[0]], joint="curve", **pen)
        else:
            draw.line(_polygon(rng, x, y, r), joint="curve", **pen)  # an open stroke
    return _rgb(canvas)


def shapes(rng: np.random.Generator) -> np.ndarray:
    canvas, draw = _canvas(rng)
    for _ in range(int(rng.integers(2, 6))):
        x, y, r = _spot(rng, canvas, 0.08, 0.25)
        fill = int(rng.integers(50, 236))
        shape = rng.choice(["oval", "box", "polygon"])
        if shape == "oval":
            draw.ellipse((x - r, y - 0.7 * r, x + r, y + 0.7 * r), fill=fill)
        elif shape == "box":
            draw.rectangle((x - r, y - 0.6 * r, x + r, y + 0.6 * r), fill=fill)
        else:
            draw.polygon(_polygon(rng, x, y, r), fill=fill)
    return _rgb(canvas)


_PLAIN_DRAWINGS = (gray_disc, smiley, line_drawing, shapes)
"""The drawings the JPEG and blurred kinds start from."""


def _as_jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    """``pixels`` saved as a JPEG of ``quality`` and read back, as an upload would be."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def drawing_jpeg(rng: np.random.Generator) -> np.ndarray:
    drawing = _PLAIN_DRAWINGS[int(rng.integers(len(_PLAIN_DRAWINGS)))](rng)
    return _as_jpeg(drawing, int(rng.integers(50, 96)))


def drawing_blurred(rng: np.random.Generator) -> np.ndarray:
    drawing = _PLAIN_DRAWINGS[int(rng.integers(len(_PLAIN_DRAWINGS)))](rng)
    gray = gaussian_filter(drawing[..., 0].astype(np.float64), float(rng.uniform(0.7, 1.3)))
    blurred = np.repeat(np.uint8(np.round(gray))[..., np.newaxis], 3, axis=-1)
    return _as_jpeg(blurred, int(rng.integers(50, 96))) if rng.random() < 0.5 else blurred


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
    "gray disc": gray_disc,
    "smiley": smiley,
    "line drawing": line_drawing,
    "shapes": shapes,
    "drawing, JPEG": drawing_jpeg,
    "drawing, blurred": drawing_blurred,
}
KINDS = tuple(GENERATORS)
DRAWING_KINDS = KINDS[KINDS.index("gray disc") :]
"""The drawings: gray and on black, they pass the image checks; the drawing check is for them."""


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
