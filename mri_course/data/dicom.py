"""A DICOM file, the format of hospital scanners and CDs, as one grey slice for the model.

A DICOM file is a header of tagged fields followed by the pixels. The pixels are not ready
to show: they are stored values that three steps of the standard turn into grey levels, and
this module applies them in order (DICOM PS3.3, C.7.6.3 and C.11.2):

1. **Rescale** (the modality LUT): ``value = stored * RescaleSlope + RescaleIntercept``.
2. **Window**: the centre and width a radiologist would view the series with map linearly
   onto black to white; values outside are clipped. When the file names no window, the
   0.5th to 99.5th percentiles of the frame are used instead.
3. **Photometric interpretation**: ``MONOCHROME1`` means a high value is *dark*, so the grey
   levels are inverted; ``MONOCHROME2`` (the usual) is left as it is.

The header also holds the patient's name, ID and birth date. Nothing here returns the
header: :func:`read_dicom` gives back pixels and technical notes only, so no patient detail
can reach Gemini, a report or a log through the app.

Compressed files (JPEG, JPEG-LS, JPEG 2000, RLE) are decoded by ``pydicom`` with the
``pylibjpeg`` plugins the course installs; a syntax no installed plugin reads gets a message
that names it. Only one frame of a multi-frame file is decoded, so a long series costs the
memory of one slice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.pixels import pixel_array

from mri_course.data.decode import square_pixels, to_grey_levels

DICOM_MAGIC = b"DICM"
"""A DICOM file has 128 free bytes, then these four: how the reader recognises one."""
PERCENTILE_WINDOW = (0.5, 99.5)
"""The window used when the file gives none: the frame's own range, without its outliers."""
READABLE_MODALITIES = frozenset({"MR", "OT"})
"""MR, and OT ("other"): the modality of secondary captures, screenshots of a scan saved as
DICOM by a viewer. CT, X-ray, ultrasound, reports and plans are refused."""
WORKING_BYTES_PER_SAMPLE = 14
"""Peak bytes per sample that decoding and windowing one frame take (measured, rounded up):
the frame's bytes as read, the stored values, one float32 copy rescaled in place, and the
float32 copy that windowing works in."""


class DicomError(ValueError):
    """The file is not DICOM, or not a 2-D brain MRI slice; the message says why."""


@dataclass(frozen=True)
class DicomSlice:
    """One frame of a DICOM file as grey levels, and what was done to get there."""

    pixels: np.ndarray  # uint8, (H, W) grey or (H, W, 3) colour
    frame: int  # which frame, counted from 0
    frames: int  # how many the file holds
    notes: tuple[str, ...]


def is_dicom(data: bytes) -> bool:
    """Whether the bytes start like a DICOM file (the ``DICM`` marker after 128 bytes)."""
    return data[128:132] == DICOM_MAGIC


def _header(data: bytes) -> pydicom.Dataset:
    try:
        # force=True also reads the rare file written without the 128-byte preamble.
        # Value validation is off: its warnings quote the value, a patient's name included,
        # into the log.
        with pydicom.config.disable_value_validation():
            return pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as error:
        raise DicomError(f"not a readable DICOM file ({type(error).__name__})") from None


def frame_bytes(header: pydicom.Dataset) -> int:
    """Bytes that decoding and windowing one frame take: checked before any pixel is read."""
    rows, columns = int(header.get("Rows", 0) or 0), int(header.get("Columns", 0) or 0)
    samples = int(header.get("SamplesPerPixel", 1) or 1)
    return rows * columns * samples * WORKING_BYTES_PER_SAMPLE


def _number(header: pydicom.Dataset, keyword: str) -> float | None:
    """A numeric field, or None; a multi-valued one (several windows) gives its first."""
    value = header.get(keyword)
    if value is None or value == "":
        return None
    if isinstance(value, pydicom.multival.MultiValue):
        value = value[0] if len(value) else None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def window_bounds(header: pydicom.Dataset, values: np.ndarray) -> tuple[float, float, str]:
    """The values that become black and white, and where they came from, in words.

    The file's window (centre ``c``, width ``w``) follows the standard's linear function:
    below ``c - 0.5 - (w - 1) / 2`` is black, above ``c - 0.5 + (w - 1) / 2`` is white.
    """
    centre, width = _number(header, "WindowCenter"), _number(header, "WindowWidth")
    if centre is not None and width is not None and width >= 1:
        half = (width - 1) / 2
        return (
            centre - 0.5 - half,
            centre - 0.5 + half,
            f"window {centre:g} / {width:g} from the file",
        )
    low, high = np.percentile(values, PERCENTILE_WINDOW)
    return float(low), float(high), "no window in the file, so its own range was used"


def read_dicom(data: bytes, frame: int | None = None, max_bytes: int | None = None) -> DicomSlice:
    """One frame of a DICOM file as grey levels (rescaled, windowed, inverted if needed).

    Args:
        data: the file's bytes.
        frame: which frame of a multi-frame file, from 0; None: the middle one.
        max_bytes: refuse a frame that would need more memory than this to decode
            (:func:`frame_bytes`), before decoding it.

    Raises:
        DicomError: not DICOM, not an MR image, no pixel data, a frame out of range, too
            large, a compression no installed plugin reads, or damaged pixel data.
    """
    header = _header(data)
    modality = str(header.get("Modality", "") or "")
    if modality and modality not in READABLE_MODALITIES:
        raise DicomError(
            f"a DICOM file of modality {modality}, not MR: the model was trained on brain MRI "
            "slices only"
        )
    frames = int(_number(header, "NumberOfFrames") or 1)
    if frames < 1:
        raise DicomError(f"its header says it holds {frames} frames")
    if frame is None:
        frame = frames // 2
    if not 0 <= frame < frames:
        raise DicomError(f"it holds frames 0 to {frames - 1}, not frame {frame}")
    if max_bytes is not None and frame_bytes(header) > max_bytes:
        raise DicomError(
            f"one frame of {header.get('Columns')} x {header.get('Rows')} pixels would need "
            f"{frame_bytes(header) / 2**20:.0f} MB, more than the "
            f"{max_bytes / 2**20:.0f} MB allowed"
        )
    syntax = getattr(getattr(header, "file_meta", None), "TransferSyntaxUID", None)
    try:
        with pydicom.config.disable_value_validation():
            stored = pixel_array(io.BytesIO(data), index=frame if frames > 1 else None)
    except AttributeError:
        raise DicomError(
            "it holds no pixel data (a report, a plan or a structured record)"
        ) from None
    except (NotImplementedError, RuntimeError) as error:
        name = getattr(syntax, "name", "its transfer syntax")
        raise DicomError(
            f"its pixels are compressed as {name}, which no installed decoder reads "
            f"({str(error).splitlines()[0][:120]})"
        ) from None
    except Exception as error:  # noqa: BLE001 - damaged files raise anything from struct to KeyError
        raise DicomError(
            f"its pixel data is damaged or cut short ({type(error).__name__})"
        ) from None
    if stored.ndim not in (2, 3) or (stored.ndim == 3 and stored.shape[2] not in (3, 4)):
        raise DicomError(f"its pixels have the shape {stored.shape}, not one 2-D slice")
    notes = [f"DICOM {modality or 'image (no modality given)'}; only its pixels are used"]
    if frames > 1:
        notes.append(f"frame {frame + 1} of {frames}")
    if stored.ndim == 3:  # colour (a screenshot or secondary capture): already display values
        grey = to_grey_levels(stored[..., :3], 0, 255)
    else:
        slope = _number(header, "RescaleSlope") or 1.0
        intercept = _number(header, "RescaleIntercept") or 0.0
        values = stored.astype(np.float32)  # rescaled in place: one copy of the frame
        del stored
        values *= np.float32(slope)
        values += np.float32(intercept)
        low, high, how = window_bounds(header, values)
        grey = to_grey_levels(values, low, high)
        notes.append(how)
        if str(header.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1":
            grey = 255 - grey
            notes.append("MONOCHROME1 (high values dark), so inverted")
    spacing = header.get("PixelSpacing")
    if spacing is not None and len(spacing) == 2:
        grey = square_pixels(grey, float(spacing[0]), float(spacing[1]))
    return DicomSlice(grey, frame, frames, tuple(notes))
