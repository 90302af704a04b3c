"""DICOM and NIfTI files made here, from the synthetic scans: good ones and broken ones.

Shared by tests/test_medical_input.py and tests/test_app.py. The DICOM files carry a made-up
patient in their header (:data:`PATIENT`) so tests can search everything the app shows,
downloads, logs and sends for it.
"""

from __future__ import annotations

import gzip
import io

import nibabel as nib
import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from mri_course.data.synthetic import render_scan

PATIENT = {
    "PatientName": "Zyxwort^Quintessa",
    "PatientID": "PID-48151623-XQ",
    "PatientBirthDate": "19420317",
    "InstitutionName": "Nowhereville Infirmary",
}
"""Header values that must never leave the file: each is unlikely to occur by chance."""


def brain_slice(seed: int = 1, size: int = 128, label: str = "glioma") -> np.ndarray:
    """A synthetic brain MRI slice, ``uint8`` ``(size, size)``."""
    return render_scan(label, size, np.random.default_rng(seed))[0]


def dicom_bytes(
    frames: list[np.ndarray] | None = None,
    *,
    modality: str = "MR",
    photometric: str = "MONOCHROME2",
    window: tuple[float, float] | None = (1000.0, 2000.0),
    slope: float = 4.0,
    intercept: float = -24.0,
    spacing: tuple[float, float] | None = None,
    with_pixels: bool = True,
    syntax: str = ExplicitVRLittleEndian,
) -> bytes:
    """A DICOM file of ``frames`` (default: one synthetic slice) with :data:`PATIENT`.

    The stored values are ``(grey * 8 + 24 - intercept) / slope`` as uint16, so after the
    rescale a grey level g is the value ``8 g + 24``: with the default window (centre 1000,
    width 2000) that is close to the grey level the slice was made with.
    """
    frames = [brain_slice()] if frames is None else frames
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = pydicom.Dataset()
    ds.file_meta = meta
    for keyword, value in PATIENT.items():
        setattr(ds, keyword, value)
    ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.Rows, ds.Columns = frames[0].shape
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    if spacing is not None:
        ds.PixelSpacing = list(spacing)
    if len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    if with_pixels:
        values = [(np.asarray(f, np.float64) * 8 + 24 - intercept) / slope for f in frames]
        ds.PixelData = np.round(np.stack(values)).astype("<u2").tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def brain_volume(slices: int = 24, size: int = 96) -> np.ndarray:
    """A volume (R, A, S) whose axial slices are synthetic brains fading towards the ends."""
    fade = np.sin(np.linspace(0.15, np.pi - 0.15, slices))
    stack = [brain_slice(seed, size) * f for seed, f in enumerate(fade)]
    # brain_slice rows run anterior to posterior, columns the patient's right to left
    # (radiological view); turn each into R, A order.
    return np.stack([s[::-1, ::-1].T for s in stack], axis=-1).astype(np.int16)


def nifti_bytes(
    volume: np.ndarray | None = None,
    *,
    affine: np.ndarray | None = None,
    compressed: bool = True,
    version: int = 1,
) -> bytes:
    """A ``.nii`` (or gzip-compressed ``.nii.gz``) file of ``volume``.

    The default affine stores R, A, S with 1 x 1 x 4 mm voxels: thick slices, as in many
    clinical series, so the coronal and sagittal slices of 24 axial ones are 96 mm tall.
    """
    volume = brain_volume() if volume is None else volume
    kind = nib.Nifti1Image if version == 1 else nib.Nifti2Image
    image = kind(volume, np.diag([1.0, 1.0, 4.0, 1.0]) if affine is None else affine)
    data = image.to_bytes()
    return gzip.compress(data) if compressed else data
