"""Decode any image file into the one layout the models take: ``uint8`` RGB, ``(H, W, 3)``.

The dataset mixes grayscale and RGB JPEGs, a palette image, RGBA PNGs and PNG files named
``.jpg``. Pillow reads the format from the file's first bytes, never from its name, and
:func:`to_three_channels` turns every channel layout into three channels.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

MODEL_FORMATS = frozenset({"JPEG", "PNG", "GIF", "BMP"})
"""The formats TensorFlow's ``decode_image`` reads, so the only ones a model can train on.
Pillow reads more (TIFF, WebP, ...); :mod:`mri_course.data.scan` reports those files as
problems instead of letting a training run crash on them half-way through an epoch."""


def png_bytes(image: np.ndarray) -> bytes:
    """An ``uint8`` image (grey or RGB) as PNG bytes: what the app's downloads and Gemini get,
    and the files of the synthetic dataset."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def to_grey_levels(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map ``low`` to black and ``high`` to white, linearly, clipping outside: ``uint8``.

    The last step for every format whose pixels are measurements rather than grey levels
    (a DICOM slice, a NIfTI volume): which range is shown is the window, chosen by the caller.
    """
    if high <= low:  # a flat image: everything at or above the level is white
        return np.where(np.asarray(values) >= high, 255, 0).astype(np.uint8)
    # One float32 working copy, changed in place: a 20-megapixel DICOM frame would
    # otherwise hold four.
    scaled = np.array(values, dtype=np.float32)
    scaled -= np.float32(low)
    scaled *= np.float32(255.0 / (high - low))
    np.clip(scaled, 0.0, 255.0, out=scaled)
    return np.rint(scaled, out=scaled).astype(np.uint8)


def square_pixels(grey: np.ndarray, row_spacing: float, column_spacing: float) -> np.ndarray:
    """Resample an image whose pixels are not square (in mm) so that anatomy keeps its shape.

    Scanners often store slices with unequal spacing (0.9 x 1.2 mm, or 1 x 5 mm across the
    slices of a volume); shown pixel for pixel the head would look squashed. The finer
    spacing is kept and the other axis stretched to match.
    """
    if not (row_spacing > 0 and column_spacing > 0) or np.isclose(row_spacing, column_spacing):
        return grey
    finest = min(row_spacing, column_spacing)
    height = max(1, round(grey.shape[0] * row_spacing / finest))
    width = max(1, round(grey.shape[1] * column_spacing / finest))
    return np.asarray(Image.fromarray(grey).resize((width, height), Image.Resampling.BILINEAR))


class DecodeError(ValueError):
    """A file could not be decoded as an image; the message says what was wrong."""


@dataclass(frozen=True)
class DecodedImage:
    """The pixels of a file plus what the file really was."""

    pixels: np.ndarray  # uint8, (H, W, 3)
    format: str  # "JPEG", "PNG", ... as sniffed from the bytes
    mode: str  # Pillow's mode before conversion: "L", "RGB", "RGBA", "P", "I;16", ...


def to_three_channels(image: np.ndarray) -> np.ndarray:
    """Convert an image array of any common channel layout to ``uint8`` RGB.

    Grayscale scans are copied into three identical channels (pretrained networks expect
    three); an alpha channel is composited over black, the background of an MRI slice, so
    transparent pixels cannot leak hidden colours; 16-bit images are scaled to 8 bits
    rather than cast (a cast would wrap 65535 round to 255 and garble the picture).

    Args:
        image: an array of shape ``(H, W)``, ``(H, W, 1)``, ``(H, W, 2)`` (gray + alpha),
            ``(H, W, 3)`` or ``(H, W, 4)`` (RGB + alpha), of dtype ``uint8``, ``uint16`` or
            ``bool``.

    Returns:
        A new ``uint8`` array of shape ``(H, W, 3)``.

    Hints:
        - Handle the dtype first: `uint16` -> divide by 257 and round; `bool` -> 0 or 255.
        - Give a 2-D image a channel axis: `array[:, :, np.newaxis]`.
        - With 2 or 4 channels the last one is alpha: multiply the others by alpha / 255.
        - Repeat a single channel three times: `np.repeat(array, 3, axis=2)`.
    """
    array = np.asarray(image)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    elif array.dtype == np.uint16:
        array = np.round(array.astype(np.float32) / 257.0).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise ValueError(f"expected a uint8, uint16 or bool image, got dtype {array.dtype}")
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"expected shape (H, W) or (H, W, 1..4), got {array.shape}")
    if array.shape[2] in (2, 4):
        color, alpha = array[:, :, :-1].astype(np.float32), array[:, :, -1:].astype(np.float32)
        array = np.round(color * alpha / 255.0).astype(np.uint8)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array)


def _pillow_to_array(image: Image.Image) -> np.ndarray:
    """Pillow image -> numpy array in a layout :func:`to_three_channels` understands."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA", "1"):
        return np.asarray(image)
    if mode == "P":
        has_alpha = "transparency" in image.info
        return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))
    if mode.startswith("I;16"):
        return np.asarray(image).astype(np.uint16)
    if mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        if mode == "I" and values.min() >= 0 and values.max() <= 65535:
            return values.astype(np.uint16)  # 16-bit data in a 32-bit container
        # Floats or wider integers have no fixed range: stretch this image's own range.
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) / (high - low) * 255.0 if high > low else values * 0.0
        return np.round(scaled).astype(np.uint8)
    # CMYK, YCbCr, LAB, HSV, PA, ...: Pillow knows how to reach RGB(A).
    return np.asarray(image.convert("RGBA" if "A" in mode else "RGB"))


def decode_image(
    source: Path | str | bytes, max_pixels: int = 89_478_485, max_side: int | None = None
) -> DecodedImage:
    """Decode an image file (or its bytes), sniffing the format from the content.

    With ``max_side``, a larger image is shrunk to fit a square of that side as soon as it
    is decoded (a JPEG already while it decodes), before any conversion copies it: the
    conversions to RGB work in floats, several times the size of the file's pixels.

    Raises :class:`DecodeError` for an empty file, a file that is not an image, a truncated
    image, or one larger than ``max_pixels`` (a decompression bomb); the message names the
    file and the problem so a data report can list it.
    """
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data:
        raise DecodeError(f"{name}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise DecodeError(
                        f"{name}: {width}x{height} pixels is more than the {max_pixels:,} "
                        "allowed (possible decompression bomb)"
                    )
                fmt, mode = image.format or "unknown", image.mode
                if max_side is not None and max(width, height) > max_side:
                    image.draft(mode, (max_side, max_side))  # JPEG: decode at 1/2 to 1/8
                    image.thumbnail((max_side, max_side), Image.Resampling.BOX)
                image.load()
                pixels = to_three_channels(_pillow_to_array(image))
    except DecodeError:
        raise
    except UnidentifiedImageError:
        raise DecodeError(f"{name}: not an image Pillow can read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise DecodeError(f"{name}: too large to decode safely ({error})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise DecodeError(f"{name}: broken or truncated image ({error})") from None
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise DecodeError(f"{name}: image has no pixels ({pixels.shape[1]}x{pixels.shape[0]})")
    return DecodedImage(pixels=pixels, format=fmt, mode=mode)


def load_rgb(source: Path | str | bytes) -> np.ndarray:
    """The pixels of an image file as ``uint8`` RGB ``(H, W, 3)``; see :func:`decode_image`."""
    return decode_image(source).pixels
