"""Plausible wrong answers to lesson 09's exercises, each with what its check must say.

``tests/test_exercises.py`` loads ``WRONG_ANSWERS`` from here and asserts that every check
fails on every answer below with a message containing the given words.
"""

import hashlib

import numpy as np

from mri_course.app.ood import BLANK_LIMIT, COLOUR_LIMIT, DARK_SHARE_MIN, image_statistics
from mri_course.app.scan_input import MAX_PIXELS, MIN_SIDE, ScanInputError

# --- 9.1 image_warnings -------------------------------------------------------------------


def _warnings_without_blank(pixels):
    found = image_statistics(pixels)
    reasons = []
    if found.colour > COLOUR_LIMIT:
        reasons.append("it is in colour, and MRI slices are grayscale")
    if found.dark_share < DARK_SHARE_MIN:
        reasons.append("it has no dark background around the head, as MRI slices do")
    return reasons


def _warnings_colour_from_spread(pixels):
    found = image_statistics(pixels)
    reasons = []
    if found.spread < BLANK_LIMIT:
        reasons.append("it is almost blank: there is no structure to classify")
    if found.spread > COLOUR_LIMIT:
        reasons.append("it is in colour, and MRI slices are grayscale")
    if found.dark_share < DARK_SHARE_MIN:
        reasons.append("it has no dark background around the head, as MRI slices do")
    return reasons


def _warnings_dark_share_reversed(pixels):
    found = image_statistics(pixels)
    reasons = []
    if found.spread < BLANK_LIMIT:
        reasons.append("it is almost blank: there is no structure to classify")
    if found.colour > COLOUR_LIMIT:
        reasons.append("it is in colour, and MRI slices are grayscale")
    if found.dark_share > DARK_SHARE_MIN:
        reasons.append("it has no dark background around the head, as MRI slices do")
    return reasons


def _warnings_as_one_string(pixels):
    found = image_statistics(pixels)
    return "almost blank" if found.spread < BLANK_LIMIT else ""


# --- 9.2 scan_key -------------------------------------------------------------------------


def _key_of_bytes_only(pixels):
    return hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()


def _key_from_python_hash(pixels):
    return str(hash(np.ascontiguousarray(pixels).tobytes()))


def _key_of_the_printed_array(pixels):
    array = np.asarray(pixels)
    return hashlib.sha256(f"{array.dtype}{array.shape}{array!r}".encode()).hexdigest()


def _key_of_the_memory_layout(pixels):
    array = np.asarray(pixels)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}{array.strides}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


# --- 9.3 check_dimensions -----------------------------------------------------------------


def _frames_first(name, width, height, frames=1):
    if frames > 1:
        raise ScanInputError(f"{name} holds {frames} frames. Upload one slice.")
    if width * height > MAX_PIXELS:
        raise ScanInputError(f"{name} is {width} x {height} pixels, too large to open safely.")
    if min(width, height) < MIN_SIDE:
        raise ScanInputError(f"{name} is only {width} x {height} pixels: too small.")


def _limit_is_exclusive(name, width, height, frames=1):
    if width * height >= MAX_PIXELS:
        raise ScanInputError(f"{name} is {width} x {height} pixels, too large to open safely.")
    if frames > 1:
        raise ScanInputError(f"{name} holds {frames} frames. Upload one slice.")
    if min(width, height) < MIN_SIDE:
        raise ScanInputError(f"{name} is only {width} x {height} pixels: too small.")


def _longer_side(name, width, height, frames=1):
    if width * height > MAX_PIXELS:
        raise ScanInputError(f"{name} is {width} x {height} pixels, too large to open safely.")
    if frames > 1:
        raise ScanInputError(f"{name} holds {frames} frames. Upload one slice.")
    if max(width, height) < MIN_SIDE:
        raise ScanInputError(f"{name} is only {width} x {height} pixels: too small.")


def _plain_value_error(name, width, height, frames=1):
    if width * height > MAX_PIXELS:
        raise ValueError(f"{name} is {width} x {height} pixels, too large to open safely.")
    if frames > 1:
        raise ValueError(f"{name} holds {frames} frames. Upload one slice.")
    if min(width, height) < MIN_SIDE:
        raise ValueError(f"{name} is only {width} x {height} pixels: too small.")


def _message_without_numbers(name, width, height, frames=1):
    if width * height > MAX_PIXELS:
        raise ScanInputError("The image is too large to open safely.")
    if frames > 1:
        raise ScanInputError(f"{name} holds {frames} frames. Upload one slice.")
    if min(width, height) < MIN_SIDE:
        raise ScanInputError("The image is too small.")


WRONG_ANSWERS = {
    "9.1": [
        (_warnings_without_blank, "almost no contrast is blank"),
        (_warnings_colour_from_spread, "compare found.colour"),
        (_warnings_dark_share_reversed, "too little of it"),
        (_warnings_as_one_string, "return a list of reasons"),
    ],
    "9.2": [
        (_key_of_bytes_only, "hash the shape"),
        (_key_from_python_hash, "64 hexadecimal characters"),
        (_key_of_the_printed_array, "one pixel in the middle"),
        (_key_of_the_memory_layout, "np.ascontiguousarray"),
    ],
    "9.3": [
        (_frames_first, "check the size before the frames"),
        (_limit_is_exclusive, "exactly MAX_PIXELS pixels is allowed"),
        (_longer_side, "use min(width, height)"),
        (_plain_value_error, "raise ScanInputError"),
        (_message_without_numbers, "name the file and its size"),
    ],
}
