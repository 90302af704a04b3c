"""Reading a scan someone uploads: any file, checked before a model sees it.

The app accepts what people actually have: JPEG or PNG, grayscale or colour, 8 or 16 bits,
with or without transparency, CMYK from a scanner. It converts those and says so. It
refuses, with a message that says what is wrong and what to do, what cannot be a single
scan: an empty or truncated file, something that is not an image, an animated GIF, an
image too small to show anatomy, or one so large it could exhaust memory.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from mri_course.data.decode import DecodeError, decode_image

MIN_SIDE = 32
MAX_ASPECT = 8
"""Long side over short side: the dataset's scans stay under 2; a strip of 32 x 4128 is no
slice of a head, and fitted into the model's square it would shrink to under one pixel."""
MAX_PIXELS = 40_000_000  # a 6000 x 6000 scan is far more than any MRI slice needs
UPLOAD_TYPES = ("jpg", "jpeg", "png", "gif", "bmp")


class ScanInputError(ValueError):
    """The upload cannot be used as a scan; the message says why and what to do."""


@dataclass(frozen=True)
class ScanInput:
    """An uploaded scan as ``uint8`` RGB pixels, and what was done to get there."""

    name: str
    pixels: np.ndarray  # (H, W, 3) uint8
    format: str
    notes: tuple[str, ...]  # conversions, e.g. "16-bit image scaled to 8 bits"


def _describe(image: Image.Image) -> tuple[int, str, tuple[int, int]]:
    return getattr(image, "n_frames", 1), image.mode, image.size


def _notes(fmt: str, mode: str, has_transparency: bool) -> tuple[str, ...]:
    notes = []
    if mode in ("RGBA", "LA", "PA") or has_transparency:
        notes.append("transparent pixels were laid over black, the background of an MRI")
    if mode.startswith("I;16") or mode in ("I", "F"):
        notes.append("a 16-bit (or wider) image, scaled to 8 bits")
    if mode == "CMYK":
        notes.append("a CMYK image (from a printer or scanner), converted to RGB")
    if mode in ("L", "LA", "1", "I;16", "I;16B", "I;16L", "I"):
        notes.append("grayscale, copied into three channels as the model expects")
    return tuple(notes)


def check_dimensions(name: str, width: int, height: int, frames: int = 1) -> None:
    """Refuse an image whose size or frame count cannot be one scan, before decoding it.

    The header says how big an image is; decoding is what costs memory. So the size is
    checked first, from the header: a decompression bomb (a few kilobytes that decode to
    gigabytes) is refused before a single pixel is decoded.

    Args:
        name: the file's name, for the message.
        width, height: the image's size in pixels, from its header.
        frames: how many frames it holds (an animated GIF has several).

    Raises:
        ScanInputError: more than ``MAX_PIXELS`` pixels (checked first), more than one
            frame, or a side shorter than ``MIN_SIDE``; the message gives the size or
            the frame count found, and says what to upload instead.

    Hints:
        - Three `if`s in the docstring's order: `width * height > MAX_PIXELS`, `frames > 1`,
          `min(width, height) < MIN_SIDE`.
        - Each raises `ScanInputError(f"{name} is {width} x {height} pixels, ...")` with
          what was found and what to upload instead.
        - Return nothing when the image is fine.
    """
    if width * height > MAX_PIXELS:
        raise ScanInputError(
            f"{name} is {width} x {height} pixels, too large to open safely. Upload a scan "
            f"of at most {MAX_PIXELS / 1e6:.0f} megapixels."
        )
    if frames > 1:
        raise ScanInputError(
            f"{name} holds {frames} frames (an animation or a stack). Upload one slice as a "
            "single JPEG or PNG image."
        )
    if min(width, height) < MIN_SIDE:
        raise ScanInputError(
            f"{name} is only {width} x {height} pixels: too small to show any anatomy. "
            f"Upload a scan of at least {MIN_SIDE} x {MIN_SIDE} pixels."
        )


def read_scan(data: bytes, name: str = "upload") -> ScanInput:
    """Decode an uploaded file into the model's input layout, or explain why not.

    Raises:
        ScanInputError: empty, not an image, truncated, animated, too small, too large or
            a thin strip.
    """
    if not data:
        raise ScanInputError(f"{name} is empty (0 bytes). Upload a JPEG or PNG scan.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                frames, mode, (width, height) = _describe(image)
                fmt = image.format or "unknown"
                has_transparency = "transparency" in image.info
    except UnidentifiedImageError:
        raise ScanInputError(
            f"{name} is not an image (or not one this app reads). Upload a JPEG or PNG scan."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ScanInputError(
            f"{name} is too large to open safely. Upload a scan of at most "
            f"{MAX_PIXELS / 1e6:.0f} megapixels."
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ScanInputError(f"{name} could not be read as an image ({error}).") from None
    check_dimensions(name, width, height, frames)
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ScanInputError(
            f"{name} is {width} x {height} pixels, a strip rather than a slice of a head "
            f"(more than {MAX_ASPECT} times longer than wide). Upload one whole slice."
        )
    try:
        decoded = decode_image(data, max_pixels=MAX_PIXELS)
    except DecodeError as error:
        reason = str(error).removeprefix("<bytes>: ")
        raise ScanInputError(
            f"{name} is broken or cut short ({reason}). Upload the complete file again."
        ) from None
    return ScanInput(name, decoded.pixels, decoded.format, _notes(fmt, mode, has_transparency))
