"""DICOM and NIfTI uploads: pixels right, orientation right, every broken file refused in words."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pydicom
import pytest
from medical_files import PATIENT, brain_slice, brain_volume, dicom_bytes, nifti_bytes
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from mri_course.app.scan_input import (
    MAX_DECODED_BYTES,
    MAX_UPLOAD_BYTES,
    ScanInputError,
    file_type,
    read_scan,
)
from mri_course.audit import mni152
from mri_course.data.dicom import read_dicom
from mri_course.data.nifti import read_nifti


def grey(scan) -> np.ndarray:
    assert scan.pixels.dtype == np.uint8 and scan.pixels.shape[2] == 3
    return scan.pixels[..., 0].astype(int)


# --- DICOM -------------------------------------------------------------------------------


def test_a_dicom_slice_is_rescaled_and_windowed_back_to_its_grey_levels():
    original = brain_slice().astype(float)
    scan = read_scan(dicom_bytes(), "slice.dcm")
    assert scan.format == "DICOM" and scan.slice_count == 1
    # value = 8 g + 24 after the rescale; the window 1000 / 2000 shows [0.5 - 999.5, ...]
    expected = np.clip((original * 8 + 24) * 255 / 1999, 0, 255)
    assert np.abs(grey(scan) - expected).max() <= 1
    assert any("window 1000 / 2000" in note for note in scan.notes)


@pytest.mark.parametrize(
    "name",
    ["MR_small.dcm", "MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_bigendian.dcm"],
)
def test_the_window_matches_pydicoms_own(name):
    """pydicom's apply_voi_lut maps the window onto the signed 16-bit range; ours onto 0..255."""
    data = Path(get_testdata_file(name)).read_bytes()
    ds = pydicom.dcmread(get_testdata_file(name))
    theirs = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds)
    theirs = np.clip((theirs + 32768) / 65535 * 255, 0, 255)
    ours = read_dicom(data).pixels
    assert np.abs(ours.astype(float) - theirs).max() <= 1.0


def test_without_a_window_the_frames_own_range_is_used():
    scan = read_scan(dicom_bytes(window=None), "nowindow.dcm")
    assert grey(scan).max() == 255 and grey(scan).min() == 0
    assert any("its own range" in note for note in scan.notes)


def test_monochrome1_is_inverted():
    normal = grey(read_scan(dicom_bytes(), "a.dcm"))
    inverted = grey(read_scan(dicom_bytes(photometric="MONOCHROME1"), "b.dcm"))
    assert np.array_equal(inverted, 255 - normal)


def test_a_multi_frame_file_shows_the_chosen_frame():
    frames = [brain_slice(seed) for seed in (1, 2, 3)]
    data = dicom_bytes(frames)
    middle = read_scan(data, "series.dcm")
    assert (middle.slice_count, middle.slice_index) == (3, 1)
    first = read_scan(data, "series.dcm", index=0)
    assert not np.array_equal(grey(first), grey(middle))
    assert np.array_equal(grey(first), grey(read_scan(dicom_bytes([frames[0]]), "one.dcm")))
    with pytest.raises(ScanInputError, match="frames 0 to 2, not frame 3"):
        read_scan(data, "series.dcm", index=3)


def test_pixels_that_are_not_square_are_resampled():
    scan = read_scan(dicom_bytes(spacing=(2.0, 1.0)), "tall.dcm")
    assert scan.pixels.shape[:2] == (256, 128)


BROKEN_DICOM = {
    "ct": (lambda: dicom_bytes(modality="CT"), "modality CT, not MR"),
    "no pixels": (lambda: dicom_bytes(with_pixels=False), "no pixel data"),
    "truncated": (lambda: dicom_bytes()[:-3000], "damaged or cut short"),
    "pydicom's truncated": (
        lambda: Path(get_testdata_file("MR_truncated.dcm")).read_bytes(),
        "cut short",
    ),
    "header only": (lambda: dicom_bytes()[:200], "DICOM"),
    "unknown codec": (
        lambda: _with_syntax(dicom_bytes(), "1.2.840.10008.1.2.4.92"),  # JPEG 2000 Part 2
        "no installed decoder reads",
    ),
    "not dicom": (lambda: b"\0" * 128 + b"DICM" + b"garbage" * 10, "DICOM"),
}


def _with_syntax(data: bytes, uid: str) -> bytes:
    """The same file, its header claiming a transfer syntax its pixels are not in."""
    ds = pydicom.dcmread(pydicom.filebase.DicomBytesIO(data))
    ds.file_meta.TransferSyntaxUID = uid
    ds.PixelData = pydicom.encaps.encapsulate([b"\xff\x0a" + b"\0" * 64])
    buffer = pydicom.filebase.DicomBytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.parametrize("case", list(BROKEN_DICOM))
def test_a_broken_or_foreign_dicom_file_is_refused_with_its_reason(case):
    make, says = BROKEN_DICOM[case]
    with pytest.raises(ScanInputError) as refused:
        read_scan(make(), "case.dcm")
    message = str(refused.value)
    assert says in message and message.startswith("case.dcm")
    assert "Upload" in message, "it says what to do"
    for value in PATIENT.values():
        assert value not in message


def test_a_dicom_frame_over_the_memory_budget_is_refused_before_decoding():
    side = int((MAX_DECODED_BYTES / 8) ** 0.5) + 64
    data = dicom_bytes([np.zeros((side, side), np.uint8)])
    with pytest.raises(ScanInputError, match="MB allowed"):
        read_scan(data, "huge.dcm")


# --- NIfTI -------------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [True, False])
def test_an_axial_slice_of_a_volume_is_shown_as_it_was_drawn(compressed):
    volume = brain_volume()
    scan = read_scan(nifti_bytes(volume, compressed=compressed), "head.nii.gz", index=12)
    assert (scan.format, scan.plane, scan.slice_index, scan.slice_count) == (
        "NIfTI",
        "axial",
        12,
        24,
    )
    expected = np.asarray(volume[..., 12], float).T[::-1, ::-1]
    correlation = np.corrcoef(grey(scan).ravel(), expected.ravel())[0, 1]
    assert correlation > 0.99


def test_a_volume_stored_in_another_axis_order_looks_the_same():
    """The same brain, stored L, P, S (flipped) instead of R, A, S: the same slice results."""
    volume = brain_volume()
    flipped = volume[::-1, ::-1, :]
    affine = np.diag([-1.0, -1.0, 4.0, 1.0])
    ras = read_scan(nifti_bytes(volume), "ras.nii.gz", index=5)
    lps = read_scan(nifti_bytes(flipped, affine=affine), "lps.nii.gz", index=5)
    assert np.array_equal(grey(ras), grey(lps))


def test_the_mni152_template_read_as_a_file_matches_the_audits_rendering():
    """The template through the upload path is oriented as lesson 06's audit renders it."""
    import nilearn.datasets

    image = nilearn.datasets.load_mni152_template()
    volume = read_nifti(gzip.compress(image.to_bytes()))
    for plane in ("axial", "coronal", "sagittal"):
        shown = volume.slice(plane).pixels.astype(float)
        reference = mni152.radiological_view(
            np.take(np.asarray(image.dataobj), volume.count(plane) // 2, mni152.PLANE_AXES[plane])
        )
        assert np.corrcoef(shown.ravel(), reference.ravel())[0, 1] > 0.99, plane


@pytest.mark.parametrize("plane", ["coronal", "sagittal"])
def test_each_plane_can_be_chosen_and_its_slices_counted(plane):
    scan = read_scan(nifti_bytes(), "head.nii.gz", plane=plane)
    assert scan.plane == plane and scan.slice_count == 96
    assert scan.slice_index == 48


def test_thick_slices_are_stretched_so_the_head_keeps_its_shape():
    affine = np.diag([1.0, 1.0, 2.0, 1.0])
    scan = read_scan(nifti_bytes(affine=affine), "thick.nii.gz", plane="coronal")
    assert scan.pixels.shape[:2] == (48, 96), "24 slices of 2 mm: 48 mm tall"


def test_a_4d_series_shows_its_first_volume_with_a_note():
    volume = brain_volume()
    series = np.stack([volume, volume[::-1]], axis=-1)
    scan = read_scan(nifti_bytes(series), "fmri.nii.gz", index=12)
    assert np.array_equal(grey(scan), grey(read_scan(nifti_bytes(volume), "v.nii.gz", index=12)))
    assert any("first is shown" in note for note in scan.notes)


def test_a_nifti2_file_is_read():
    assert read_scan(nifti_bytes(version=2), "two.nii.gz").format == "NIfTI"


BROKEN_NIFTI = {
    "2-d": (lambda: nifti_bytes(brain_volume()[..., 0]), "not a 3-D volume"),
    "5-d": (lambda: nifti_bytes(brain_volume()[..., np.newaxis, np.newaxis]), "not a 3-D volume"),
    "truncated gz": (lambda: nifti_bytes()[:-4000], "cut short"),
    "truncated nii": (lambda: nifti_bytes(compressed=False)[:-4000], "cut short"),
    "flat": (lambda: nifti_bytes(np.zeros((40, 40, 10), np.int16)), "all the same value"),
    "too small": (
        lambda: nifti_bytes(np.ones((4, 5, 7), np.int16).cumsum(0).astype(np.int16)),
        "too small",
    ),
    "out of range": (lambda: nifti_bytes(), "not 99"),
}


@pytest.mark.parametrize("case", list(BROKEN_NIFTI))
def test_a_broken_nifti_file_is_refused_with_its_reason(case):
    make, says = BROKEN_NIFTI[case]
    with pytest.raises(ScanInputError, match=says) as refused:
        read_scan(make(), "case.nii.gz", index=99 if case == "out of range" else None)
    assert str(refused.value).startswith("case.nii.gz")


def test_a_volume_over_the_memory_budget_is_refused_before_its_voxels_are_read():
    """The header claims a huge volume; the file holds almost nothing (a gzip bomb's shape)."""
    header = nib_header((1024, 1024, 1024))
    with pytest.raises(ScanInputError, match="MB allowed"):
        read_scan(gzip.compress(header), "bomb.nii.gz")


def nib_header(shape) -> bytes:
    import nibabel as nib

    header = nib.Nifti1Header()
    header.set_data_shape(shape)
    header.set_data_dtype(np.int16)
    return header.binaryblock + b"\0" * 4


# --- every format ------------------------------------------------------------------------


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read():
    with pytest.raises(ScanInputError, match="more than the 64 MB"):
        read_scan(b"\0" * (MAX_UPLOAD_BYTES + 1), "big.png")


def test_the_streamlit_server_limit_matches_the_apps():
    import tomllib

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_UPLOAD_BYTES


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.nii.gz", "nii.gz"),
        ("B.NII", "nii"),
        ("scan.dcm", "dcm"),
        ("IM0001", ""),
        ("x.png", "png"),
    ],
)
def test_file_types_are_read_from_names(name, kind):
    assert file_type(name) == kind


def _damaged(data: bytes, seed: int) -> list[bytes]:
    """Cut short at several points, and with bytes overwritten at random (seeded)."""
    rng = np.random.default_rng(seed)
    cuts = [data[:n] for n in (1, 100, 132, 300, len(data) // 3, len(data) // 2, len(data) - 1)]
    flipped = []
    for _ in range(12):
        copy = bytearray(data)
        for at in rng.integers(0, len(copy), size=int(rng.integers(1, 20))):
            copy[at] = int(rng.integers(0, 256))
        flipped.append(bytes(copy))
    return cuts + flipped


FUZZED = {
    "dicom": lambda: dicom_bytes(),
    "dicom frames": lambda: dicom_bytes([brain_slice(s, 64) for s in (1, 2)]),
    "dicom rle": lambda: Path(get_testdata_file("MR_small_RLE.dcm")).read_bytes(),
    "dicom jpeg 2000": lambda: Path(get_testdata_file("MR_small_jp2klossless.dcm")).read_bytes(),
    "nifti gz": lambda: nifti_bytes(brain_volume(8, 48)),
    "nifti": lambda: nifti_bytes(brain_volume(8, 48), compressed=False),
}


@pytest.mark.parametrize("kind", list(FUZZED))
def test_damaged_medical_files_never_raise_anything_but_a_message(kind):
    """The target of issue 13: no traceback for any file, however broken."""
    for seed, data in enumerate(_damaged(FUZZED[kind](), seed=len(kind))):
        for name in ("scan.dcm", "scan.nii.gz"):
            try:
                read_scan(data, name)
            except ScanInputError:
                pass
            except Exception as error:  # noqa: BLE001 - what this test is looking for
                pytest.fail(f"{kind} variant {seed} as {name}: {type(error).__name__}: {error}")


def test_an_image_is_refused_by_what_decoding_its_mode_would_cost():
    """40 MP of RGBA decode to over 400 MB (issue 13): refused from the header, at once."""
    from bad_scans import encode
    from PIL import Image

    rgba = encode(Image.new("RGBA", (6324, 6324), (40, 40, 40, 255)), "PNG")
    with pytest.raises(ScanInputError, match="MB allowed"):
        read_scan(rgba, "rgba.png")
    grey = read_scan(encode(Image.new("L", (6324, 6324), 40), "PNG"), "grey.png")
    assert grey.pixels.shape == (2048, 2048, 3), "the same size in gray is taken, and shrunk"
    assert any("shrunk from 6324 x 6324" in note for note in grey.notes)


def test_a_malformed_patient_name_is_not_quoted_into_the_log(caplog):
    """pydicom warns about invalid values by quoting them; the reader switches that off."""
    import logging

    caplog.set_level(logging.DEBUG)
    data = dicom_bytes()
    name = PATIENT["PatientName"].encode()
    data = data.replace(name, name[:-1] + b"\\", 1)  # a backslash: invalid in a PN value
    scan = read_scan(data, "odd.dcm")
    assert scan.format == "DICOM"
    assert "Zyxwort" not in caplog.text
