"""Stress tests: the same test scans, cropped, turned, re-windowed, compressed, resampled.

A test-set accuracy says how a model does on scans framed, windowed and resized exactly
like its training scans. A scan from another scanner, viewer or export differs in just those
ways, so this module asks, per change and strength: how much accuracy is lost, and which
predictions change at all (a changed answer is a warning even when the total stays put).

Every perturbation is a pure function of the *decoded* image (``uint8`` RGB of the file's
own size, :func:`mri_course.data.decode.load_rgb`) and runs *before*
:func:`mri_course.data.pipeline.prepare_pixels`: framing and resampling are decided there,
so changing the image after it would miss the very steps the model may lean on. Each keeps
the ``uint8`` RGB layout and the image's size, except :func:`refit`, which stands in for the
pipeline's own fit and returns the model's square input.

:func:`run_stress` runs a model over records under every perturbation and keeps every
image's prediction, so later code can tell which scans are fragile, not only how many.
Measured figures live in ``benchmarks/results/stress_report.{md,json}``
(``benchmarks/stress_report.py``); they are not repeated here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from PIL import Image, ImageEnhance

from mri_course.data.decode import load_rgb
from mri_course.data.index import ImageRecord
from mri_course.data.release import CLASS_NAMES

TARGET_KEYS = ("border_crop_15", "rotation_10")
"""The two perturbations the course sets a target for: each may cost at most
:data:`TARGET_POINTS` of clean-test accuracy."""

TARGET_POINTS = 2.0
"""The most accuracy, in percentage points, each of :data:`TARGET_KEYS` may cost the shipped
CNN: a viewer's tighter frame or a small tilt must not change the diagnosis."""

RESAMPLING_METHODS = ("pipeline", "bilinear_no_antialias", "nearest", "lanczos")
"""How :func:`refit` can fit an image to the model: ``pipeline`` is the training pipeline's
own (bilinear with antialiasing, as ``prepare_pixels`` does), the others are what another
program might do: plain bilinear that skips antialiasing, nearest neighbour, and Pillow's
(antialiased) Lanczos."""


def as_rgb_uint8(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` as an array, refused unless it is a decoded ``uint8`` RGB image
    ``(height, width, 3)``: every perturbation starts here, so a wrong input fails with the
    same clear message instead of deep inside Pillow."""
    array = np.asarray(pixels)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected a uint8 RGB image (H, W, 3), got {array.dtype} {array.shape}")
    return array


def _to_array(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def _resize(pixels: np.ndarray, height: int, width: int, resample: int) -> np.ndarray:
    """Pillow's resize; its filters widen on reduction, so shrinking is antialiased."""
    return _to_array(Image.fromarray(pixels).resize((width, height), resample=resample))


# --- framing ----------------------------------------------------------------------------


def border_crop(pixels: np.ndarray, fraction: float) -> np.ndarray:
    """Cut ``fraction`` of the height and of the width away, half at each edge, then resize
    back to the original size (bilinear).

    So a 15% crop keeps the central 85% x 85% (7.5% gone at every edge), the reading of "a
    15% border crop" in the course's target: a tighter framing of the same slice, as
    another export or viewer might give. A model that reads the skull
    outline or the black margin instead of the brain loses its cue here.

    Args:
        pixels: a decoded ``uint8`` RGB image, shape ``(height, width, 3)``.
        fraction: the share of each dimension cut away, in ``[0, 1)``.

    Returns:
        A new ``uint8`` array of the same shape as ``pixels``.

    Hints:
        - Start with `array = as_rgb_uint8(pixels)`; raise `ValueError` for a `fraction`
          outside `[0, 1)`.
        - Rows to cut at the top (and at the bottom): `round(fraction * height / 2)`; the
          same with the width for each side. Nothing to cut: return `array.copy()`.
        - Slice the inside, then `Image.fromarray(np.ascontiguousarray(inside))`,
          `.resize((width, height), Image.Resampling.BILINEAR)`, and `np.array(...)`.
    """
    array = as_rgb_uint8(pixels)
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    height, width = array.shape[:2]
    top, side = round(fraction * height / 2), round(fraction * width / 2)
    if top == 0 and side == 0:
        return array.copy()
    inside = Image.fromarray(np.ascontiguousarray(array[top : height - top, side : width - side]))
    return np.array(inside.resize((width, height), Image.Resampling.BILINEAR))


def zoom_out(pixels: np.ndarray, fraction: float) -> np.ndarray:
    """Add a black margin of ``fraction`` of the height and of the width in all, half at each
    edge, then resize back to the original size: the reverse framing of
    :func:`border_crop` (a wider field of view, the brain smaller in the frame)."""
    array = as_rgb_uint8(pixels)
    if fraction < 0.0:
        raise ValueError(f"fraction must be 0 or more, got {fraction}")
    height, width = array.shape[:2]
    top, side = round(fraction * height / 2), round(fraction * width / 2)
    if top == 0 and side == 0:
        return array.copy()
    padded = np.pad(array, ((top, top), (side, side), (0, 0)))
    return _resize(padded, height, width, Image.Resampling.BILINEAR)


def rotate(pixels: np.ndarray, degrees: float) -> np.ndarray:
    """Turn the image ``degrees`` counter-clockwise about its centre, same size, corners
    filled with black (the MRI background), bilinear: a head tilted in the scanner."""
    array = as_rgb_uint8(pixels)
    turned = Image.fromarray(array).rotate(
        degrees, resample=Image.Resampling.BILINEAR, fillcolor=(0, 0, 0)
    )
    return _to_array(turned)


def flip_horizontal(pixels: np.ndarray) -> np.ndarray:
    """Mirror left-right. Brains are nearly symmetric, so a tumour's side should not matter
    (and the training pipeline already flips this way)."""
    return np.ascontiguousarray(as_rgb_uint8(pixels)[:, ::-1])


def flip_vertical(pixels: np.ndarray) -> np.ndarray:
    """Mirror top-bottom: no real scan looks like this, but it shows whether the model uses
    the slice's orientation (where the neck or the skull's top is) as a cue."""
    return np.ascontiguousarray(as_rgb_uint8(pixels)[::-1])


# --- intensity --------------------------------------------------------------------------


def brightness(pixels: np.ndarray, factor: float) -> np.ndarray:
    """Multiply every value by ``factor`` (Pillow's Brightness; clipped at 255). Black stays
    black, as with a different window width on the scanner's console."""
    enhanced = ImageEnhance.Brightness(Image.fromarray(as_rgb_uint8(pixels))).enhance(factor)
    return _to_array(enhanced)


def contrast(pixels: np.ndarray, factor: float) -> np.ndarray:
    """Stretch (``factor`` > 1) or flatten (< 1) the values about the image's mean grey
    (Pillow's Contrast, as a photo editor does): flattening lifts the black background."""
    enhanced = ImageEnhance.Contrast(Image.fromarray(as_rgb_uint8(pixels))).enhance(factor)
    return _to_array(enhanced)


# --- file and sensor --------------------------------------------------------------------


def jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    """Save as a JPEG of ``quality`` (Pillow, 1..95) and decode it again, as the course
    decodes every file: the blocks and blur of a scan e-mailed or exported for the web."""
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be in 1..100, got {quality}")
    buffer = io.BytesIO()
    Image.fromarray(as_rgb_uint8(pixels)).save(buffer, format="JPEG", quality=int(quality))
    return load_rgb(buffer.getvalue())


def gaussian_noise(pixels: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise of standard deviation ``sigma`` (in 0..255 units), the same in all
    three channels (the scans are grey), rounded and clipped. The noise is fixed by
    ``seed``, so the function stays pure: the same image gets the same noise."""
    array = as_rgb_uint8(pixels)
    if sigma < 0:
        raise ValueError(f"sigma must be 0 or more, got {sigma}")
    if sigma == 0:
        return array.copy()
    noise = np.random.default_rng(seed).normal(0.0, sigma, size=array.shape[:2] + (1,))
    return np.clip(np.round(array + noise), 0, 255).astype(np.uint8)


def low_resolution(pixels: np.ndarray, long_side: int) -> np.ndarray:
    """Shrink the image so its longer side is ``long_side`` pixels, then enlarge it back to
    its own size (Pillow bilinear both ways): a scan acquired or stored at a coarser matrix.
    An image already that small is returned unchanged."""
    array = as_rgb_uint8(pixels)
    height, width = array.shape[:2]
    if long_side >= max(height, width):
        return array.copy()
    if long_side < 1:
        raise ValueError(f"long_side must be 1 or more, got {long_side}")
    scale = long_side / max(height, width)
    small = _resize(
        array,
        max(1, round(height * scale)),
        max(1, round(width * scale)),
        Image.Resampling.BILINEAR,
    )
    return _resize(small, height, width, Image.Resampling.BILINEAR)


# --- resampling -------------------------------------------------------------------------


def fit_geometry(height: int, width: int, image_size: int) -> tuple[int, int, int, int]:
    """Where ``tf.image.resize_with_pad`` (the pipeline's fit) puts an image in the
    ``image_size`` square: ``(height, width, top, left)`` of the scaled image, computed in
    its own float32 arithmetic so every size lands on the same pixel as in training."""
    side = np.float32(image_size)
    f_height, f_width = np.float32(height), np.float32(width)
    ratio = max(f_width / side, f_height / side)
    scaled_height, scaled_width = f_height / ratio, f_width / ratio
    top = max(0, int(np.floor((side - scaled_height) / np.float32(2))))
    left = max(0, int(np.floor((side - scaled_width) / np.float32(2))))
    return int(np.floor(scaled_height)), int(np.floor(scaled_width)), top, left


def refit(pixels: np.ndarray, image_size: int, method: str) -> np.ndarray:
    """Fit the image into the model's ``image_size`` square as the pipeline does (scaled to
    fit, centred, black padding) but resampled with another ``method``.

    ``prepare_pixels`` then meets an image already of the model's size: its own resize
    maps it onto itself and adds no padding, so the model sees the scan resampled by
    ``method`` instead of by the pipeline. ``method="pipeline"`` reproduces the pipeline
    (bilinear with antialiasing) pixel for pixel: a control.

    Shrinking a 512 px scan to 128 px without antialiasing keeps one pixel in four and
    drops the rest, which aliases fine texture; a model that relies on that texture answers
    differently for a scan that is, to a reader, the same.
    """
    array = as_rgb_uint8(pixels)
    if method not in RESAMPLING_METHODS:
        raise ValueError(f"method must be one of {RESAMPLING_METHODS}, got {method!r}")
    height, width, top, left = fit_geometry(*array.shape[:2], image_size)
    if method == "lanczos":
        resized = _resize(array, height, width, Image.Resampling.LANCZOS)
    else:
        import tensorflow as tf  # the pipeline's own resize, so only the method differs

        tf_method, antialias = {
            "pipeline": ("bilinear", True),
            "bilinear_no_antialias": ("bilinear", False),
            "nearest": ("nearest", False),
        }[method]
        scaled = tf.image.resize(array, (height, width), method=tf_method, antialias=antialias)
        resized = np.clip(np.round(scaled.numpy()), 0, 255).astype(np.uint8)
    fitted = np.zeros((image_size, image_size, 3), dtype=np.uint8)
    fitted[top : top + height, left : left + width] = resized
    return fitted


# --- the catalogue ----------------------------------------------------------------------


@dataclass(frozen=True)
class Perturbation:
    """One perturbation at one strength: ``apply`` maps a decoded image to a changed one."""

    key: str  # e.g. "border_crop_15": stable, for JSON and look-ups
    family: str  # e.g. "border crop"
    setting: str  # e.g. "15% per side"
    apply: Callable[[np.ndarray], np.ndarray]

    @property
    def label(self) -> str:
        return f"{self.family} {self.setting}"


def default_perturbations(image_size: int) -> tuple[Perturbation, ...]:
    """The course's stress tests, two or three strengths each, mild to harsh.

    ``image_size`` is the model's input side, needed only by the resampling tests. The
    strengths include the two the course sets a target for (:data:`TARGET_KEYS`).
    """
    found = []
    for percent in (5, 10, 15):
        found.append(
            Perturbation(
                f"border_crop_{percent}",
                "border crop",
                f"{percent}% ({percent / 2:g}% per edge)",
                partial(border_crop, fraction=percent / 100),
            )
        )
    for percent in (5, 10, 15):
        found.append(
            Perturbation(
                f"zoom_out_{percent}",
                "zoom out",
                f"{percent}% black ({percent / 2:g}% per edge)",
                partial(zoom_out, fraction=percent / 100),
            )
        )
    for degrees in (5, 10, 20):
        found.append(
            Perturbation(
                f"rotation_{degrees}",
                "rotation",
                f"{degrees} deg",
                partial(rotate, degrees=degrees),
            )
        )
    found += [
        Perturbation("flip_horizontal", "flip", "left-right", flip_horizontal),
        Perturbation("flip_vertical", "flip", "top-bottom", flip_vertical),
    ]
    for factor in (0.7, 1.3, 1.6):
        found.append(
            Perturbation(
                f"brightness_x{factor}",
                "brightness",
                f"x{factor}",
                partial(brightness, factor=factor),
            )
        )
    for factor in (0.6, 1.4, 1.8):
        found.append(
            Perturbation(
                f"contrast_x{factor}", "contrast", f"x{factor}", partial(contrast, factor=factor)
            )
        )
    for quality in (75, 50, 20):
        found.append(
            Perturbation(
                f"jpeg_q{quality}", "JPEG", f"quality {quality}", partial(jpeg, quality=quality)
            )
        )
    for sigma in (5, 10, 20):
        found.append(
            Perturbation(
                f"noise_sigma{sigma}",
                "Gaussian noise",
                f"sigma {sigma}",
                partial(gaussian_noise, sigma=sigma),
            )
        )
    for side in (96, 64, 32):
        found.append(
            Perturbation(
                f"resolution_{side}px",
                "resolution",
                f"{side} px long side",
                partial(low_resolution, long_side=side),
            )
        )
    for method, words in (
        ("bilinear_no_antialias", "bilinear, no antialias"),
        ("nearest", "nearest neighbour"),
        ("lanczos", "Lanczos (Pillow)"),
    ):
        found.append(
            Perturbation(
                f"resampling_{method}",
                "resampling",
                words,
                partial(refit, image_size=image_size, method=method),
            )
        )
    return tuple(found)


# --- running a model --------------------------------------------------------------------


def predict_perturbed(
    model, images: Sequence[np.ndarray], perturbations: Sequence[Perturbation]
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted classes and their probabilities for ``images`` as they are (row 0) and
    under each perturbation (row ``k + 1`` for ``perturbations[k]``): two ``(1 + P, n)``
    arrays. One batch per row, so ``images`` should be a batch's worth."""
    from mri_course.data.pipeline import prepare_pixels

    image_size = int(model.input_shape[1])
    predicted = np.empty((1 + len(perturbations), len(images)), dtype=np.int64)
    confidence = np.empty(predicted.shape, dtype=np.float32)
    for row, transform in enumerate((None, *perturbations)):
        batch = np.stack(
            [
                prepare_pixels(image if transform is None else transform.apply(image), image_size)
                for image in images
            ]
        )
        probabilities = np.asarray(model.predict_on_batch(batch))
        predicted[row] = probabilities.argmax(axis=1)
        confidence[row] = probabilities.max(axis=1)
    return predicted, confidence


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array)  # a copy, so freezing it leaves the caller's array alone
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class PerturbationOutcome:
    """One perturbation over every image: the summary and each image's answer."""

    key: str
    family: str
    setting: str
    accuracy: float
    accuracy_change: float  # accuracy minus the unperturbed accuracy (a fraction, not points)
    changed_share: float  # share of images whose predicted class changed
    broken: int  # right before, wrong after
    fixed: int  # wrong before, right after
    predicted: np.ndarray  # (n,) class indices
    confidence: np.ndarray  # (n,) probability of the predicted class

    @property
    def label(self) -> str:
        return f"{self.family} {self.setting}"

    def summary(self) -> dict:
        return {
            "key": self.key,
            "family": self.family,
            "setting": self.setting,
            "accuracy": self.accuracy,
            "accuracy_change": self.accuracy_change,
            "changed_share": self.changed_share,
            "changed": int(round(self.changed_share * len(self.predicted))),
            "broken": self.broken,
            "fixed": self.fixed,
        }


@dataclass(frozen=True, eq=False)
class StressResult:
    """A model's answers on ``records`` as they are and under every perturbation.

    Build it with :meth:`build` (or :func:`run_stress`): the summaries are computed from the
    per-image predictions, so they cannot disagree with them. Arrays are read-only.
    """

    records: tuple[ImageRecord, ...]
    labels: np.ndarray  # (n,) true class indices
    predicted: np.ndarray  # (n,) unperturbed predictions
    confidence: np.ndarray  # (n,)
    accuracy: float  # unperturbed
    outcomes: tuple[PerturbationOutcome, ...]

    @classmethod
    def build(
        cls,
        records: Sequence[ImageRecord],
        predicted: np.ndarray,
        confidence: np.ndarray,
        perturbations: Sequence[Perturbation | PerturbationOutcome],
    ) -> StressResult:
        """From the ``(1 + P, n)`` arrays of :func:`predict_perturbed` (row 0 unperturbed)."""
        from sklearn.metrics import accuracy_score

        records = tuple(records)
        predicted, confidence = np.asarray(predicted), np.asarray(confidence)
        if predicted.shape != (1 + len(perturbations), len(records)):
            raise ValueError(
                f"predictions of shape {predicted.shape}, expected "
                f"{(1 + len(perturbations), len(records))}"
            )
        if not records:
            raise ValueError("no records: nothing was stress-tested")
        keys = [p.key for p in perturbations]
        if len(set(keys)) != len(keys):
            raise ValueError(f"perturbation keys must be unique, got {keys}")
        labels = np.array([r.label_index for r in records], dtype=np.int64)
        base = float(accuracy_score(labels, predicted[0]))
        right = predicted[0] == labels
        outcomes = []
        for row, perturbation in enumerate(perturbations, start=1):
            after = float(accuracy_score(labels, predicted[row]))
            right_after = predicted[row] == labels
            outcomes.append(
                PerturbationOutcome(
                    key=perturbation.key,
                    family=perturbation.family,
                    setting=perturbation.setting,
                    accuracy=after,
                    accuracy_change=after - base,
                    changed_share=float(np.mean(predicted[row] != predicted[0])),
                    broken=int(np.sum(right & ~right_after)),
                    fixed=int(np.sum(~right & right_after)),
                    predicted=_frozen(predicted[row]),
                    confidence=_frozen(confidence[row]),
                )
            )
        return cls(
            records=records,
            labels=_frozen(labels),
            predicted=_frozen(predicted[0]),
            confidence=_frozen(confidence[0]),
            accuracy=base,
            outcomes=tuple(outcomes),
        )

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.outcomes)

    def outcome(self, key: str) -> PerturbationOutcome:
        for found in self.outcomes:
            if found.key == key:
                return found
        raise KeyError(f"no perturbation {key!r}; these were run: {', '.join(self.keys)}")

    def changed(self, keys: Iterable[str] | None = None) -> np.ndarray:
        """``(P, n)`` booleans: did perturbation ``k`` change image ``i``'s predicted class?
        Rows in the order of ``keys`` (default: every perturbation, in run order)."""
        chosen = [self.outcome(k) for k in keys] if keys is not None else self.outcomes
        if not chosen:
            return np.zeros((0, len(self.records)), dtype=bool)
        return np.stack([o.predicted != self.predicted for o in chosen])

    def fragile(self, keys: Iterable[str] | None = None) -> np.ndarray:
        """``(n,)`` booleans: images whose answer changes under any of ``keys``."""
        return self.changed(keys).any(axis=0)

    def changes_of(self, index: int) -> dict[str, str]:
        """Perturbation key -> the class image ``index`` was given under it, where it differs
        from the unperturbed answer."""
        return {
            o.key: CLASS_NAMES[int(o.predicted[index])]
            for o in self.outcomes
            if o.predicted[index] != self.predicted[index]
        }

    def subset(self, records: Sequence[ImageRecord]) -> StressResult:
        """The same results restricted to ``records`` (all of which must be here), with the
        summaries recomputed: e.g. the clean test out of a run on the official test."""
        position = {r.relpath: k for k, r in enumerate(self.records)}
        missing = [r.relpath for r in records if r.relpath not in position]
        if missing:
            raise ValueError(f"{len(missing)} records were not stress-tested, e.g. {missing[0]}")
        rows = np.array([position[r.relpath] for r in records], dtype=np.int64)
        predicted = np.stack([self.predicted[rows], *(o.predicted[rows] for o in self.outcomes)])
        confidence = np.stack([self.confidence[rows], *(o.confidence[rows] for o in self.outcomes)])
        return StressResult.build(records, predicted, confidence, self.outcomes)

    def summary(self) -> dict:
        """Image count, unperturbed accuracy and one row per perturbation (JSON-ready)."""
        return {
            "images": len(self.records),
            "accuracy": self.accuracy,
            "perturbations": [o.summary() for o in self.outcomes],
        }

    def per_image(self) -> list[dict]:
        """One entry per image: its path, true and predicted class, and every perturbation
        that changed the prediction, with the class given instead (JSON-ready)."""
        return [
            {
                "relpath": record.relpath,
                "label": record.label,
                "predicted": CLASS_NAMES[int(self.predicted[i])],
                "confidence": round(float(self.confidence[i]), 4),
                "changed_by": self.changes_of(i),
            }
            for i, record in enumerate(self.records)
        ]


def run_stress(
    model,
    records: Sequence[ImageRecord],
    perturbations: Sequence[Perturbation] | None = None,
    batch_size: int = 32,
) -> StressResult:
    """Run ``model`` over ``records``, plain and under every perturbation.

    Each file is decoded once; its perturbed copies are made, fitted with
    ``prepare_pixels`` and predicted a batch at a time, and only the answers are kept, so
    memory stays at one batch of images whatever the number of records. ``perturbations``
    defaults to :func:`default_perturbations` at the model's input size.
    """
    records = tuple(records)
    if perturbations is None:
        perturbations = default_perturbations(int(model.input_shape[1]))
    perturbations = tuple(perturbations)
    predicted = np.empty((1 + len(perturbations), len(records)), dtype=np.int64)
    confidence = np.empty(predicted.shape, dtype=np.float32)
    for start in range(0, len(records), batch_size):
        chunk = records[start : start + batch_size]
        images = [load_rgb(record.path) for record in chunk]
        stop = start + len(chunk)
        predicted[:, start:stop], confidence[:, start:stop] = predict_perturbed(
            model, images, perturbations
        )
    return StressResult.build(records, predicted, confidence, perturbations)
