"""A NIfTI volume (``.nii``, ``.nii.gz``), the format of research datasets, as one slice.

A NIfTI file holds a whole 3-D scan and an *affine*: the matrix from voxel indices to
millimetres in the patient's space. Its axes can be stored in any order and direction, so
the volume is first turned to the closest R, A, S order (``nibabel``'s orientation tools)
and each slice is then shown the way radiologists view it (:func:`radiological_view`): the
patient's right on the image's left, anterior or superior at the top, the nose pointing left
in sagittal slices. Voxels that are not cubes (1 x 1 x 5 mm is common) are resampled so the
head keeps its shape.

Only the header is read before the size is checked, and only the first volume of a 4-D
series (fMRI, diffusion) is read at all: a compressed file is never decompressed whole.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass

import nibabel as nib
import numpy as np
from nibabel.orientations import apply_orientation, io_orientation

from mri_course.data.decode import square_pixels, to_grey_levels

PLANE_AXES = {"sagittal": 0, "coronal": 1, "axial": 2}
"""The R, A, S axis each plane cuts across: a sagittal slice fixes R (left-right), and so on."""
PERCENTILE_WINDOW = (0.5, 99.5)
"""The volume's grey levels run between these percentiles of its voxels: one window for every
slice of every plane, like one exported series."""
WINDOW_SAMPLE = 1_000_000  # voxels the window's percentiles are estimated from
_HEADER_SIZES = {348: nib.Nifti1Image, 540: nib.Nifti2Image}


class NiftiError(ValueError):
    """The file is not a NIfTI volume this app can show; the message says why."""


@dataclass(frozen=True)
class NiftiSlice:
    """One slice of a volume as grey levels, and where it lies."""

    pixels: np.ndarray  # uint8 (H, W)
    plane: str
    index: int  # counted from 0 along the plane's R, A or S axis
    count: int  # slices in that plane
    notes: tuple[str, ...]


def is_gzip(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"


def is_nifti(data: bytes) -> bool:
    """Whether the bytes (compressed or not) start with a NIfTI-1 or NIfTI-2 header."""
    try:
        head = gzip.GzipFile(fileobj=io.BytesIO(data)).read(348) if is_gzip(data) else data
    except (OSError, EOFError, zlib.error):
        return False
    return (head[344:348] in (b"n+1\0", b"ni1\0")) or head[4:8] == b"n+2\0"


def radiological_view(section: np.ndarray) -> np.ndarray:
    """A section indexed by its two remaining R, A, S axes -> the image a radiologist sees.

    Rows run from the larger coordinate down (anterior or superior at the top); columns
    from the larger coordinate too: the patient's right (axial, coronal) or the nose
    (sagittal) on the image's left.
    """
    return section.T[::-1, ::-1]


def _open(data: bytes) -> nib.Nifti1Image:
    stream = gzip.GzipFile(fileobj=io.BytesIO(data)) if is_gzip(data) else io.BytesIO(data)
    try:
        size = int.from_bytes(stream.read(4), "little")
        size = size if size in _HEADER_SIZES else int.from_bytes(size.to_bytes(4, "little"), "big")
        stream.seek(0)
        if size not in _HEADER_SIZES:
            raise NiftiError("not a NIfTI-1 or NIfTI-2 file (its header size is wrong)")
        return _HEADER_SIZES[size].from_stream(stream)
    except NiftiError:
        raise
    except Exception as error:  # noqa: BLE001 - a damaged header raises from struct, numpy or nibabel
        raise NiftiError(f"its header is damaged ({type(error).__name__})") from None


def volume_bytes(image: nib.Nifti1Image) -> int:
    """Bytes that reading the first 3-D volume takes, from the header alone (measured).

    ``nibabel`` reads the stored bytes and makes an array of them (twice the stored size:
    4 bytes a voxel for the usual int16); when the header scales the values, scaling makes
    two float64 arrays (16 bytes) beside the stored bytes. Slices are made float one at a
    time. ``benchmarks/results/upload_memory.md`` checks these figures.
    """
    proxy = image.dataobj
    stored = image.get_data_dtype().itemsize
    scaled = (proxy.slope, proxy.inter) != (1.0, 0.0)
    per_voxel = stored + 16 if scaled else 2 * stored
    return int(np.prod(image.shape[:3], dtype=np.int64)) * per_voxel


@dataclass(frozen=True)
class Volume:
    """The first 3-D volume of a NIfTI file, in R, A, S order, ready to slice."""

    voxels: np.ndarray  # (R, A, S), the values as nibabel reads them (scaled by the header)
    spacing: tuple[float, float, float]  # mm along R, A, S
    low: float  # the window: the value that becomes black
    high: float  # the value that becomes white
    notes: tuple[str, ...]

    def count(self, plane: str) -> int:
        return self.voxels.shape[_axis(plane)]

    def slice(self, plane: str, index: int | None = None) -> NiftiSlice:
        """Slice ``index`` of ``plane`` (None: the middle one), radiologically oriented."""
        axis, count = _axis(plane), self.count(plane)
        index = count // 2 if index is None else index
        if not 0 <= index < count:
            raise NiftiError(f"its {plane} slices run from 0 to {count - 1}, not {index}")
        section = radiological_view(np.take(self.voxels, index, axis=axis).astype(np.float32))
        rows, columns = (self.spacing[a] for a in range(3) if a != axis)
        grey = square_pixels(to_grey_levels(section, self.low, self.high), columns, rows)
        notes = (*self.notes, f"{plane} slice {index + 1} of {count}")
        return NiftiSlice(grey, plane, index, count, notes)


def _axis(plane: str) -> int:
    if plane not in PLANE_AXES:
        raise NiftiError(f"unknown plane {plane!r}: use one of {', '.join(PLANE_AXES)}")
    return PLANE_AXES[plane]


def read_nifti(data: bytes, max_bytes: int | None = None) -> Volume:
    """The first 3-D volume of a ``.nii`` or ``.nii.gz`` file, turned to R, A, S.

    Args:
        data: the file's bytes, gzip-compressed or not.
        max_bytes: refuse a volume whose voxels would take more than this, checked from
            the header before any voxel is read.

    Raises:
        NiftiError: not NIfTI, fewer than 3 or more than 4 dimensions, too large, cut
            short, or a volume with no contrast at all.
    """
    image = _open(data)
    shape = image.shape
    if len(shape) < 3 or len(shape) > 4 or min(shape[:3]) < 1:
        raise NiftiError(f"it has the shape {shape}, not a 3-D volume (or a 4-D series of them)")
    if max_bytes is not None and volume_bytes(image) > max_bytes:
        raise NiftiError(
            f"its volume of {' x '.join(map(str, shape[:3]))} voxels would need "
            f"{volume_bytes(image) / 2**20:.0f} MB, more than the {max_bytes / 2**20:.0f} MB "
            "allowed"
        )
    notes = ["NIfTI volume, turned to the radiological view"]
    try:
        stored = image.dataobj[..., 0] if len(shape) == 4 else image.dataobj[...]
    except Exception as error:  # noqa: BLE001 - a short or damaged file fails in gzip, numpy or nibabel
        raise NiftiError(f"its voxels are cut short or damaged ({type(error).__name__})") from None
    if len(shape) == 4 and shape[3] > 1:
        notes.append(f"a 4-D series of {shape[3]} volumes: the first is shown")
    orientation = io_orientation(image.affine)
    voxels = apply_orientation(np.asarray(stored), orientation)  # flips and a transpose: views
    zooms = image.header.get_zooms()[:3]
    spacing = tuple(float(zooms[int(axis)]) for axis in np.argsort(orientation[:, 0]))
    # order="K" walks the voxels as they lie in memory (NIfTI is Fortran order): no copy.
    sample = np.asarray(stored).ravel(order="K")[:: max(1, stored.size // WINDOW_SAMPLE)]
    sample = sample.astype(np.float64)
    low, high = (float(v) for v in np.percentile(sample, PERCENTILE_WINDOW))
    if not np.isfinite([low, high]).all() or high <= low:
        raise NiftiError("its voxels are all the same value (or not numbers): nothing to show")
    return Volume(voxels, spacing, low, high, tuple(notes))
