"""Reading a scan someone uploads: any file, checked before a model sees it.

The app accepts what people actually have: JPEG or PNG, grayscale or colour, 8 or 16 bits,
with or without transparency, CMYK from a scanner; a DICOM file from a hospital CD
(:mod:`mri_course.data.dicom`); a NIfTI volume from a research dataset, of which one slice
is shown (:mod:`mri_course.data.nifti`). It converts those and says so. It refuses, with a
message that says what is wrong and what to do, what cannot be a single scan: an empty or
truncated file, something that is not an image, an animated GIF, an image too small to show
anatomy, a thin strip, or one so large it could exhaust memory.

Memory is checked before anything is decoded, whatever the format: the header says how
many pixels (or voxels) there are and how many bytes each takes, and a file whose decoding
would need more than ``MAX_DECODED_BYTES`` is refused before its first pixel is read.
``benchmarks/results/upload_memory.md`` measures what the worst accepted files cost.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from mri_course.data.decode import DecodeError, decode_image, to_three_channels
from mri_course.data.dicom import DicomError, is_dicom, read_dicom
from mri_course.data.nifti import NiftiError, is_nifti, read_nifti

MIN_SIDE = 32
MAX_ASPECT = 8
"""Long side over short side: the dataset's scans stay under 2; a strip of 32 x 4128 is no
slice of a head, and fitted into the model's square it would shrink to under one pixel."""
MAX_PIXELS = 40_000_000  # a 6000 x 6000 scan is far more than any MRI slice needs
MAX_UPLOAD_BYTES = 64 * 2**20
"""The largest file taken (also the Streamlit server's limit, ``.streamlit/config.toml``):
a brain MRI volume, compressed, is a few megabytes; a DICOM series on a CD is one file per
slice."""
MAX_DECODED_BYTES = 160 * 2**20
"""The most memory decoding one upload may take, computed from its header before decoding.
With Streamlit's two copies of a file at the upload limit, the worst accepted upload stays
under the 400 MB the app may spend on one (``benchmarks/results/upload_memory.md``)."""
MAX_SIDE = 2048
"""Images larger than this are shrunk while they are decoded: the model sees 128 or 299
pixels, and the dataset's largest scans are smaller."""
UPLOAD_TYPES = ("jpg", "jpeg", "png", "gif", "bmp", "dcm", "dicom", "nii", "nii.gz")
DECODE_BYTES_PER_PIXEL = {"1": 2, "L": 2, "P": 2, "I;16": 4, "I;16L": 4, "I;16B": 4}
"""Peak bytes per pixel that decoding and shrinking an image of each Pillow mode takes,
measured and rounded up: Pillow keeps 1 to 4 bytes a pixel, shrinking copies once more, and
modes with transparency are copied twice more (their colours are premultiplied by alpha
before resizing). Modes with alpha take ``ALPHA_BYTES_PER_PIXEL``, all others
``OTHER_BYTES_PER_PIXEL``."""
ALPHA_BYTES_PER_PIXEL = 13
OTHER_BYTES_PER_PIXEL = 7


def decode_bytes(mode: str, width: int, height: int) -> int:
    """What decoding an image of this mode and size will cost, from its header alone."""
    if mode in DECODE_BYTES_PER_PIXEL:
        per_pixel = DECODE_BYTES_PER_PIXEL[mode]
    else:
        per_pixel = ALPHA_BYTES_PER_PIXEL if "A" in mode or "a" in mode else OTHER_BYTES_PER_PIXEL
    return width * height * per_pixel


def file_type(name: str) -> str:
    """The file's type from its name, lower case and without the dot: "png", "nii.gz"."""
    lower = name.lower()
    if lower.endswith(".nii.gz"):
        return "nii.gz"
    return lower.rpartition(".")[2] if "." in lower else ""


class ScanInputError(ValueError):
    """The upload cannot be used as a scan; the message says why and what to do."""


@dataclass(frozen=True)
class ScanInput:
    """An uploaded scan as ``uint8`` RGB pixels, and what was done to get there."""

    name: str
    pixels: np.ndarray  # (H, W, 3) uint8
    format: str
    notes: tuple[str, ...]  # conversions, e.g. "16-bit image scaled to 8 bits"
    slice_count: int = 1  # frames of a DICOM file, or slices of a NIfTI volume in `plane`
    slice_index: int = 0  # the one shown, from 0
    plane: str | None = None  # for a NIfTI volume: "axial", "coronal" or "sagittal"


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


def _check_strip(name: str, width: int, height: int) -> None:
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ScanInputError(
            f"{name} is {width} x {height} pixels, a strip rather than a slice of a head "
            f"(more than {MAX_ASPECT} times longer than wide). Upload one whole slice."
        )


def _from_grey(name: str, fmt: str, grey: np.ndarray, notes: tuple[str, ...], **where):
    """A DICOM or NIfTI slice, already grey levels, checked like any image and made RGB."""
    height, width = grey.shape[:2]
    check_dimensions(name, width, height)
    _check_strip(name, width, height)
    if max(width, height) > MAX_SIDE:
        image = Image.fromarray(grey)
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
        notes += (f"shrunk from {width} x {height} to {image.width} x {image.height} pixels",)
        grey = np.asarray(image)
    return ScanInput(name, to_three_channels(grey), fmt, notes, **where)


def _read_dicom(data: bytes, name: str, index: int | None) -> ScanInput:
    try:
        found = read_dicom(data, frame=index, max_bytes=MAX_DECODED_BYTES)
    except DicomError as error:
        raise ScanInputError(
            f"{name} cannot be used: {error}. Upload one brain MRI slice (DICOM MR, JPEG or PNG)."
        ) from None
    return _from_grey(
        name,
        "DICOM",
        found.pixels,
        found.notes,
        slice_count=found.frames,
        slice_index=found.frame,
    )


def _read_nifti(data: bytes, name: str, plane: str | None, index: int | None) -> ScanInput:
    try:
        found = read_nifti(data, max_bytes=MAX_DECODED_BYTES).slice(plane or "axial", index)
    except NiftiError as error:
        raise ScanInputError(
            f"{name} cannot be used: {error}. Upload a 3-D brain MRI volume (.nii or .nii.gz)."
        ) from None
    return _from_grey(
        name,
        "NIfTI",
        found.pixels,
        found.notes,
        slice_count=found.count,
        slice_index=found.index,
        plane=found.plane,
    )


def read_scan(
    data: bytes, name: str = "upload", *, plane: str | None = None, index: int | None = None
) -> ScanInput:
    """Decode an uploaded file into the model's input layout, or explain why not.

    Args:
        data: the file's bytes; the format is sniffed from them (DICOM, NIfTI, or an image
            Pillow reads), and for a DICOM file without its preamble, from the name.
        name: the file's name, for messages.
        plane: for a NIfTI volume, the plane to slice (default axial).
        index: the slice of a volume or the frame of a multi-frame DICOM file, from 0
            (default: the middle one).

    Raises:
        ScanInputError: empty, too many bytes, not an image, truncated, animated, too
            small, too large to decode within the memory budget, or a thin strip; for DICOM
            and NIfTI also a wrong modality, no pixels, or a plane or slice out of range.
    """
    if not data:
        raise ScanInputError(f"{name} is empty (0 bytes). Upload a JPEG or PNG scan.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScanInputError(
            f"{name} is {len(data) / 2**20:.0f} MB, more than the {MAX_UPLOAD_BYTES / 2**20:.0f} "
            "MB this app takes. Upload one slice, or a compressed (.nii.gz) volume."
        )
    if is_dicom(data) or file_type(name) in ("dcm", "dicom"):
        return _read_dicom(data, name, index)
    if is_nifti(data):
        return _read_nifti(data, name, plane, index)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                frames, mode, (width, height) = _describe(image)
                fmt = image.format or "unknown"
                has_transparency = "transparency" in image.info
    except UnidentifiedImageError:
        raise ScanInputError(
            f"{name} is not an image (or not one this app reads). Upload a JPEG or PNG scan, "
            "a DICOM file or a NIfTI volume."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ScanInputError(
            f"{name} is too large to open safely. Upload a scan of at most "
            f"{MAX_PIXELS / 1e6:.0f} megapixels."
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ScanInputError(f"{name} could not be read as an image ({error}).") from None
    check_dimensions(name, width, height, frames)
    _check_strip(name, width, height)
    cost = decode_bytes(mode, width, height)
    if cost > MAX_DECODED_BYTES:
        raise ScanInputError(
            f"{name} is {width} x {height} pixels of {mode}: decoding it would take "
            f"{cost / 2**20:.0f} MB, more than the {MAX_DECODED_BYTES / 2**20:.0f} MB allowed. "
            "Upload a smaller image of the scan."
        )
    try:
        decoded = decode_image(data, max_pixels=MAX_PIXELS, max_side=MAX_SIDE)
    except DecodeError as error:
        reason = str(error).removeprefix("<bytes>: ")
        raise ScanInputError(
            f"{name} is broken or cut short ({reason}). Upload the complete file again."
        ) from None
    notes = _notes(fmt, mode, has_transparency)
    shown_height, shown_width = decoded.pixels.shape[:2]
    if (shown_width, shown_height) != (width, height):
        notes += (f"shrunk from {width} x {height} to {shown_width} x {shown_height} pixels",)
    return ScanInput(name, decoded.pixels, decoded.format, notes)
