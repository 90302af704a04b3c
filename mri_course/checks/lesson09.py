"""Checks for lesson 09's exercises (the Streamlit app).

9.1 runs the learner's image checks on generated images (scans, photos, blank frames, a
document) and compares *which* checks fire with the package's; 9.2 and 9.3 try the cases
the app meets: the same scan twice, a changed pixel, a bomb, an animation, a tiny image.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from mri_course.app.not_mri import not_mri_image
from mri_course.app.ood import image_warnings
from mri_course.app.scan_input import MAX_PIXELS, MIN_SIDE, ScanInputError
from mri_course.data.synthetic import render_scan

# --- 9.1 image_warnings -------------------------------------------------------------------

REASON_WORDS = ("blank", "colour", "dark background")
"""The word that names each check's reason, in the order the checks run."""


def _kinds(reasons: list[str]) -> list[str]:
    return [next((w for w in REASON_WORDS if w in reason), reason) for reason in reasons]


def _rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., np.newaxis], 3, axis=-1)


def _test_images() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(8)
    scans = {
        f"a synthetic {label} scan": _rgb(render_scan(label, 160, rng)[0])
        for label in ("glioma", "notumor")
    }
    tinted = scans["a synthetic glioma scan"].astype(np.float64) * [1.0, 0.2, 0.2]
    return {
        **scans,
        "a blank black image": not_mri_image("blank black", 1),
        "a blank white image": not_mri_image("blank white", 1),
        "a colour photo": not_mri_image("colour photo", 1),
        "a scan tinted red (colour on a black background)": np.uint8(tinted),
        "a document (black text on white)": not_mri_image("document", 1),
        "a gray photo": not_mri_image("gray photo", 1),
    }


def check_image_warnings(image_warnings_: Callable) -> str:
    for what, image in _test_images().items():
        found = image_warnings_(image.copy())
        assert isinstance(found, list) and all(isinstance(r, str) for r in found), (
            f"for {what} image_warnings returned {found!r}: return a list of reasons "
            "(strings), an empty list when the image looks like a scan"
        )
        expected = image_warnings(image)
        if _kinds(found) != _kinds(expected):
            wanted = ", ".join(_kinds(expected)) or "no reason (it looks like a scan)"
            got = ", ".join(_kinds(found)) or "no reason"
            hint = ""
            if "blank" in _kinds(expected) and "blank" not in _kinds(found):
                hint = ": an image with almost no contrast is blank (found.spread < BLANK_LIMIT)"
            elif "colour" in _kinds(found) and "colour" not in _kinds(expected):
                hint = (
                    ": a gray image has no colour; compare found.colour (the channel gap), "
                    "not the spread, with COLOUR_LIMIT"
                )
            elif "dark background" in _kinds(found) and not expected:
                hint = (
                    ": a scan has plenty of black background; the reason is for images with "
                    "too little of it (found.dark_share < DARK_SHARE_MIN)"
                )
            raise AssertionError(
                f"for {what} the reasons should be: {wanted}; yours: {got} (in the order "
                f"blank, colour, dark background){hint}"
            )
    return "scans pass; blank, colour and background-less images get their own reasons"


# --- 9.2 scan_key -------------------------------------------------------------------------


def check_scan_key(scan_key_: Callable) -> str:
    rng = np.random.default_rng(82)
    image = rng.integers(0, 256, size=(256, 192, 3), dtype=np.uint8)
    key = scan_key_(image.copy())
    assert isinstance(key, str) and re.fullmatch(r"[0-9a-f]{64}", key), (
        f"scan_key returned {key!r}; return the SHA-256 digest as 64 hexadecimal characters "
        "(hashlib.sha256(...).hexdigest()): Python's hash() changes between processes, so "
        "a cache keyed by it would not be stable"
    )
    assert scan_key_(image.copy()) == key, "the same pixels must give the same key every time"
    changed = image.copy()
    changed[128, 96, 1] ^= 1
    assert scan_key_(changed) != key, (
        "changing one pixel in the middle of the image must change the key; hash all the "
        "pixel bytes (array.tobytes()), not a summary or the printed array (repr shortens it)"
    )
    flat = np.zeros((16, 48), dtype=np.uint8)
    assert scan_key_(flat) != scan_key_(flat.reshape(48, 16)), (
        "a 16 x 48 and a 48 x 16 image with the same bytes got the same key: hash the shape "
        "(and the dtype) with the bytes"
    )
    assert scan_key_(flat) != scan_key_(flat.view(np.int8)), (
        "the same bytes as uint8 and as int8 got the same key: hash the dtype too"
    )
    flipped = image[:, ::-1]
    assert scan_key_(flipped) == scan_key_(np.ascontiguousarray(flipped)), (
        "a flipped view and its copy are the same image but got different keys: make the "
        "array contiguous first (np.ascontiguousarray)"
    )
    return "stable, 64 hex characters, and it tells pixels, shapes and dtypes apart"


# --- 9.3 check_dimensions -----------------------------------------------------------------


def _message(check_dimensions_: Callable, *args, **kwargs) -> str | None:
    """The ScanInputError message, or None when the image is accepted."""
    try:
        check_dimensions_(*args, **kwargs)
    except ScanInputError as error:
        return str(error)
    except ValueError as error:
        raise AssertionError(
            f"check_dimensions raised {type(error).__name__} ({error}); raise ScanInputError, "
            "the error the app catches and shows"
        ) from None
    return None


def check_check_dimensions(check_dimensions_: Callable) -> str:
    side = int(np.sqrt(MAX_PIXELS))
    for width, height, frames in ((512, 512, 1), (MIN_SIDE, MIN_SIDE, 1), (side, side, 1)):
        refused = _message(check_dimensions_, "scan.png", width, height, frames)
        assert refused is None, (
            f"a {width} x {height} image with {frames} frame was refused ({refused}); it is "
            f"fine: at least {MIN_SIDE} px a side and at most {MAX_PIXELS:,} pixels"
        )
    exact = _message(check_dimensions_, "scan.png", MAX_PIXELS // 4000, 4000)
    assert exact is None, f"exactly MAX_PIXELS pixels is allowed, yet it was refused: {exact}"

    big = _message(check_dimensions_, "bomb.png", 20000, 20000, 1)
    assert big is not None and "too large" in big, (
        f"a 20000 x 20000 image (400 megapixels) must be refused as too large, got {big!r}"
    )
    assert "bomb.png" in big and "20000 x 20000" in big, (
        f"the message must name the file and its size ('bomb.png is 20000 x 20000 pixels, "
        f"...'), got {big!r}"
    )
    animated_bomb = _message(check_dimensions_, "bomb.gif", 20000, 20000, 40)
    assert animated_bomb is not None and "too large" in animated_bomb, (
        "a 20000 x 20000 animation must be refused as too large first: check the size "
        f"before the frames (a bomb is refused before anything else), got {animated_bomb!r}"
    )
    animated = _message(check_dimensions_, "loop.gif", 10, 10, 3)
    assert animated is not None and "3 frames" in animated, (
        f"a 3-frame animation (even a tiny one) must be refused for its frames first, "
        f"saying 'holds 3 frames'; got {animated!r}"
    )
    for width, height in ((MIN_SIDE - 1, 400), (1000, 20)):
        small = _message(check_dimensions_, "thin.png", width, height, 1)
        assert small is not None and "too small" in small, (
            f"a {width} x {height} image must be refused as too small (its shorter side is "
            f"under {MIN_SIDE} px: use min(width, height)), got {small!r}"
        )
        assert f"{width} x {height}" in small, f"say the size found, got {small!r}"
    return "size first, then frames, then the shorter side, each with its numbers"
