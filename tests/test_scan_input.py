"""Reading an uploaded scan: every bad file gets a clear message, every odd encoding a note."""

from __future__ import annotations

import numpy as np
import pytest
from bad_scans import BAD_UPLOADS, CONVERTED_UPLOADS, encode, scan_gray, scan_png
from PIL import Image

from mri_course.app.scan_input import (
    MAX_PIXELS,
    MIN_SIDE,
    ScanInputError,
    check_dimensions,
    read_scan,
)


def test_a_plain_grayscale_png_becomes_three_identical_channels():
    scan = read_scan(scan_png(), "brain.png")
    assert scan.pixels.dtype == np.uint8 and scan.pixels.shape == (256, 256, 3)
    assert np.array_equal(scan.pixels[..., 0], scan_gray())
    assert np.array_equal(scan.pixels[..., 0], scan.pixels[..., 2])
    assert scan.format == "PNG" and scan.name == "brain.png"
    assert any("grayscale" in note for note in scan.notes)


def test_an_rgb_jpeg_is_read_without_notes():
    rgb = np.repeat(scan_gray()[..., np.newaxis], 3, axis=-1)
    scan = read_scan(encode(Image.fromarray(rgb), "JPEG", quality=95), "brain.jpg")
    assert scan.format == "JPEG" and scan.notes == ()
    assert np.abs(scan.pixels.astype(int) - rgb).mean() < 2


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_a_bad_upload_is_refused_with_a_message_naming_the_file_and_the_problem(case):
    name, make, says = BAD_UPLOADS[case]
    with pytest.raises(ScanInputError) as raised:
        read_scan(make(), name)
    message = str(raised.value)
    assert says in message
    assert message.startswith(name), "the message names the file"
    assert "Upload" in message, "the message says what to do instead"
    assert "Traceback" not in message and "\n" not in message


def test_a_decompression_bomb_is_small_on_disk_and_refused_before_decoding():
    name, make, _ = BAD_UPLOADS["decompression bomb"]
    data = make()
    assert len(data) < 200_000, "the bomb claims 400 megapixels in a few kilobytes"
    with pytest.raises(ScanInputError, match="too large"):
        read_scan(data, name)


@pytest.mark.parametrize("case", list(CONVERTED_UPLOADS))
def test_an_unusual_encoding_is_converted_and_noted(case):
    name, make, note = CONVERTED_UPLOADS[case]
    scan = read_scan(make(), name)
    assert scan.pixels.dtype == np.uint8 and scan.pixels.shape == (256, 256, 3)
    assert any(note in text for text in scan.notes), scan.notes
    # Whatever the encoding, the picture is still the scan (CMYK JPEG: within JPEG's loss).
    assert np.abs(scan.pixels[..., 0].astype(int) - scan_gray()).mean() < 3


def test_transparent_pixels_are_laid_over_black():
    name, make, _ = CONVERTED_UPLOADS["png with alpha"]
    scan = read_scan(make(), name)
    assert scan.pixels[scan_gray() == 0].max() == 0


def test_the_dimension_checks_come_in_order_size_frames_then_side():
    check_dimensions("ok.png", MIN_SIDE, MIN_SIDE)  # the smallest accepted image
    with pytest.raises(ScanInputError, match="too small"):
        check_dimensions("thin.png", 1000, MIN_SIDE - 1)
    with pytest.raises(ScanInputError, match="too large"):
        check_dimensions("big.png", MAX_PIXELS + 1, 1, frames=5)  # size first, before frames
    with pytest.raises(ScanInputError, match="holds 2 frames"):
        check_dimensions("two.gif", 8, 8, frames=2)  # frames before the side


def test_the_app_can_read_again_after_a_bad_upload():
    for name, make, _ in BAD_UPLOADS.values():
        with pytest.raises(ScanInputError):
            read_scan(make(), name)
    assert read_scan(scan_png(), "after.png").pixels.shape == (256, 256, 3)
