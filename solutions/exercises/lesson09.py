"""Reference solutions of lesson 09 (the streamlit app).

Each function is the package's own code, copied from the module named above it: the
course runs exactly this. Edit the package, then run
`python -m mri_course.exercises.generate` to refresh this file.
"""

from __future__ import annotations

import hashlib

import numpy as np

from mri_course.app.ood import BLANK_LIMIT, COLOUR_LIMIT, DARK_SHARE_MIN, image_statistics
from mri_course.app.scan_input import MAX_PIXELS, MIN_SIDE, ScanInputError


# Exercise 9.1, from mri_course/app/ood.py
def image_warnings(pixels: np.ndarray) -> list[str]:
    """Reasons, in words, why the image does not look like an MRI slice (none: it does).

    Three checks on :func:`image_statistics`, each adding its reason, in this order:

    1. ``spread < BLANK_LIMIT``: "it is almost blank: ...";
    2. ``colour > COLOUR_LIMIT``: "it is in colour, ...";
    3. ``dark_share < DARK_SHARE_MIN``: "it has no dark background around the head, ...".

    Args:
        pixels: ``uint8`` RGB ``(height, width, 3)``, the upload as decoded.

    Returns:
        A list of reasons (strings); empty when the image passes all three checks.

    Hints:
        - `found = image_statistics(pixels)` has `.colour`, `.spread` and `.dark_share`.
        - Three `if`s in the docstring's order, each appending its reason to a list:
          `found.spread < BLANK_LIMIT`, `found.colour > COLOUR_LIMIT`, `found.dark_share <
          DARK_SHARE_MIN`.
        - Return the list, also when it is empty: the image then looks like a scan.
    """
    found = image_statistics(pixels)
    reasons = []
    if found.spread < BLANK_LIMIT:
        reasons.append("it is almost blank: there is no structure to classify")
    if found.colour > COLOUR_LIMIT:
        reasons.append("it is in colour, and MRI slices are grayscale")
    if found.dark_share < DARK_SHARE_MIN:
        reasons.append("it has no dark background around the head, as MRI slices do")
    return reasons


# Exercise 9.2, from mri_course/app/analysis.py
def scan_key(pixels: np.ndarray) -> str:
    """A fingerprint of an image's pixels: equal keys, equal images (a SHA-256 hex digest).

    The app keys its cached explanations by it, so the same scan uploaded twice (or under
    another name) reuses the explanation, and a different scan never does. The shape and
    the dtype are hashed along with the bytes: two images with the same bytes but other
    shapes (a 64 x 128 and a 128 x 64 one) are different images.

    Args:
        pixels: an image array, e.g. ``uint8`` ``(height, width, 3)``; it may be a
            non-contiguous view (a crop or a flipped image).

    Returns:
        A 64-character hexadecimal string.

    Hints:
        - `array = np.ascontiguousarray(pixels)`: a flipped view and its copy then have the
          same bytes.
        - `digest = hashlib.sha256()`, then `digest.update(...)` with the dtype and the
          shape as text (`f"{array.dtype.str}{array.shape}".encode()`) and with
          `array.tobytes()`.
        - Return `digest.hexdigest()`.
    """
    array = np.ascontiguousarray(pixels)
    digest = hashlib.sha256()
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


# Exercise 9.3, from mri_course/app/scan_input.py
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
