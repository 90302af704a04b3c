"""Files people upload that are not one usable scan, made with Pillow, each with the words its
message must hold. Shared by tests/test_scan_input.py and tests/test_app.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from medical_files import dicom_bytes, nifti_bytes
from PIL import Image

from mri_course.data.synthetic import render_scan


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def scan_gray(size: int = 256, label: str = "meningioma", seed: int = 1) -> np.ndarray:
    """A synthetic brain MRI slice, ``uint8`` ``(size, size)``."""
    return render_scan(label, size, np.random.default_rng(seed))[0]


def scan_png(size: int = 256, label: str = "meningioma", seed: int = 1) -> bytes:
    return encode(Image.fromarray(scan_gray(size, label, seed)), "PNG")


def not_an_image() -> bytes:
    return b"Patient notes\nThis is a text file, saved with a .png name.\n" * 20


def truncated_jpeg() -> bytes:
    data = encode(Image.fromarray(scan_gray()).convert("RGB"), "JPEG", quality=90)
    return data[: len(data) // 2]


def tiny_png() -> bytes:
    return encode(Image.fromarray(scan_gray(8)), "PNG")


def animated_gif() -> bytes:
    frames = [Image.fromarray(scan_gray(64, seed=seed)).convert("P") for seed in range(3)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def decompression_bomb() -> bytes:
    """A few kilobytes whose header claims 20000 x 20000 pixels (400 megapixels)."""
    return encode(Image.new("1", (20000, 20000)), "PNG")


def large_png() -> bytes:
    """Over the app's 40-megapixel limit, yet under Pillow's own bomb limit (89 MP)."""
    return encode(Image.new("L", (8000, 6000)), "PNG")


def costly_rgba_png() -> bytes:
    """A few kilobytes whose 30 megapixels of RGBA would take about 400 MB to decode."""
    return encode(Image.new("RGBA", (5500, 5500), (40, 40, 40, 255)), "PNG")


def thin_strip() -> bytes:
    return encode(Image.fromarray(np.full((32, 4128), 90, dtype=np.uint8)), "PNG")


BAD_UPLOADS: dict[str, tuple[str, Callable[[], bytes], str]] = {
    # case: (file name, bytes maker, words the message must hold)
    "empty file": ("empty.png", lambda: b"", "is empty (0 bytes)"),
    "not an image": ("notes.png", not_an_image, "is not an image"),
    "truncated jpeg": ("cut.jpg", truncated_jpeg, "broken or cut short"),
    "tiny image": ("tiny.png", tiny_png, "only 8 x 8 pixels"),
    "animated gif": ("animation.gif", animated_gif, "holds 3 frames"),
    "decompression bomb": ("bomb.png", decompression_bomb, "too large to open safely"),
    "very large image": ("huge.png", large_png, "8000 x 6000 pixels, too large"),
    "thin strip": ("strip.png", thin_strip, "4128 x 32 pixels, a strip rather than a slice"),
    "rgba too costly": ("rgba.png", costly_rgba_png, "more than the 160 MB allowed"),
    "ct dicom": ("ct.dcm", lambda: dicom_bytes(modality="CT"), "modality CT, not MR"),
    "cut nifti": ("cut.nii.gz", lambda: nifti_bytes()[:-4000], "cut short or damaged"),
}
"""Every bad upload of the issue; the app must show its message and keep working."""


def rgba_png() -> bytes:
    gray = scan_gray()
    alpha = np.where(gray > 0, 255, 0).astype(np.uint8)
    rgba = np.stack([gray, gray, gray, alpha], axis=-1)
    return encode(Image.fromarray(rgba, "RGBA"), "PNG")


def png_16_bit() -> bytes:
    wide = scan_gray().astype(np.uint16) * 257
    return encode(Image.fromarray(wide), "PNG")  # mode I;16


def cmyk_jpeg() -> bytes:
    return encode(Image.fromarray(scan_gray()).convert("CMYK"), "JPEG", quality=95)


CONVERTED_UPLOADS: dict[str, tuple[str, Callable[[], bytes], str]] = {
    # case: (file name, bytes maker, words of the note that says what was converted)
    "png with alpha": ("alpha.png", rgba_png, "transparent pixels"),
    "16-bit png": ("deep.png", png_16_bit, "16-bit"),
    "cmyk jpeg": ("print.jpg", cmyk_jpeg, "CMYK"),
}
"""Usable scans in unusual encodings: read, converted, and noted."""
