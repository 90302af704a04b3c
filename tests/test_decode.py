"""Decoding: the format comes from the bytes, every layout becomes uint8 RGB, bad files say why."""

import io

import numpy as np
import pytest
from PIL import Image

from mri_course.data.decode import DecodeError, decode_image, load_rgb, to_three_channels


def _bytes(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _gray(size=(24, 16)) -> Image.Image:
    return Image.fromarray(np.arange(size[0] * size[1], dtype=np.uint8).reshape(size[::-1]))


def test_a_png_named_jpg_is_decoded_as_png(tmp_path):
    path = tmp_path / "Tr-no_1005.jpg"
    path.write_bytes(_bytes(_gray(), "PNG"))
    decoded = decode_image(path)
    assert decoded.format == "PNG"
    assert decoded.pixels.shape == (16, 24, 3)
    assert np.array_equal(decoded.pixels[..., 0], np.asarray(_gray()))


def test_grayscale_jpeg_becomes_three_equal_channels(tmp_path):
    path = tmp_path / "gray.jpg"
    path.write_bytes(_bytes(_gray(), "JPEG", quality=95))
    decoded = decode_image(path)
    assert decoded.mode == "L" and decoded.format == "JPEG"
    pixels = decoded.pixels
    assert pixels.dtype == np.uint8 and pixels.shape == (16, 24, 3)
    assert np.array_equal(pixels[..., 0], pixels[..., 2])


def test_rgba_png_is_composited_over_black():
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[..., :3] = 200
    rgba[0, 0, 3] = 255
    pixels = load_rgb(_bytes(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert pixels[0, 0].tolist() == [200, 200, 200]
    assert pixels[1, 1].tolist() == [0, 0, 0]


def test_palette_png_with_transparency_uses_its_alpha():
    palette = Image.new("P", (2, 1))
    palette.putpalette([255, 0, 0, 0, 255, 0])
    palette.putdata([0, 1])
    data = _bytes(palette, "PNG", transparency=1)
    assert load_rgb(data).tolist() == [[[255, 0, 0], [0, 0, 0]]]


def test_sixteen_bit_png_is_scaled_by_1_257_not_wrapped_or_stretched():
    deep = Image.fromarray(np.array([[1000, 32896, 40000]], dtype=np.uint16))
    decoded = decode_image(_bytes(deep, "PNG"))
    assert decoded.mode.startswith("I;16")
    # 1/257 scaling; a cast would give [232, 128, 64], a min-max stretch [0, 150, 255].
    assert decoded.pixels[0, :, 0].tolist() == [4, 128, 156]


def test_sixteen_bit_data_in_a_32_bit_tiff_is_scaled_like_16_bit():
    wide = Image.fromarray(np.array([[1000, 40000]], dtype=np.int32), mode="I")
    decoded = decode_image(_bytes(wide, "TIFF"))
    assert decoded.pixels[0, :, 0].tolist() == [4, 156]


def test_a_tiff_decodes_but_is_reported_as_unreadable_for_training(tmp_path):
    from mri_course.data.scan import scan_one

    path = tmp_path / "scan.tif"
    path.write_bytes(_bytes(_gray(), "TIFF"))
    assert decode_image(path).format == "TIFF"
    assert (
        "TIFF data: the training pipeline reads only BMP, GIF, JPEG, PNG"
        in (scan_one(str(path))["errors"])
    )


def test_cmyk_jpeg_becomes_rgb():
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # pure red in CMYK
    pixels = load_rgb(_bytes(cmyk, "JPEG", quality=95))
    assert pixels.shape == (8, 8, 3)
    red, green, blue = pixels[4, 4].tolist()
    assert red > 200 and green < 60 and blue < 60


def test_truncated_jpeg_is_reported(tmp_path):
    data = _bytes(
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8)), "JPEG"
    )
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DecodeError, match=r"cut\.jpg: broken or truncated"):
        decode_image(path)


def test_empty_file_is_reported(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(DecodeError, match=r"empty\.jpg: empty file"):
        decode_image(path)


def test_text_named_jpg_is_reported(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a scan")
    with pytest.raises(DecodeError, match=r"notes\.jpg: not an image"):
        decode_image(path)


def test_decompression_bomb_is_refused_before_decoding():
    big = _bytes(Image.new("L", (200, 200)), "PNG")
    with pytest.raises(DecodeError, match="possible decompression bomb"):
        decode_image(big, max_pixels=10_000)


@pytest.mark.parametrize(
    ("array", "expected_shape"),
    [
        (np.zeros((3, 5), np.uint8), (3, 5, 3)),
        (np.zeros((3, 5, 1), np.uint8), (3, 5, 3)),
        (np.zeros((3, 5, 2), np.uint8), (3, 5, 3)),
        (np.zeros((3, 5, 4), np.uint8), (3, 5, 3)),
    ],
)
def test_to_three_channels_shapes(array, expected_shape):
    assert to_three_channels(array).shape == expected_shape


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((3, 5), np.float32), "dtype float32"),
        (np.zeros((3, 5, 5), np.uint8), r"got \(3, 5, 5\)"),
        (np.zeros((2, 3, 5, 1), np.uint8), r"got \(2, 3, 5, 1\)"),
    ],
)
def test_to_three_channels_rejects_what_it_cannot_convert(array, message):
    with pytest.raises(ValueError, match=message):
        to_three_channels(array)
