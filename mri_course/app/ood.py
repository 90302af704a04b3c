"""Does this look like a brain MRI at all? Out-of-distribution checks before a label.

A classifier always answers with one of its four classes, even for a holiday photo: its
softmax must sum to one. So the app asks first whether the image is of the kind the model
was trained on, in three ways:

1. **Image checks**, without the model: an MRI slice is gray (no colour), is not blank, and
   lies on a black background. A colour photo, an empty frame or a scanned document fails
   one of these at once.
2. **Drawing check**, without the model: a gray disc or a smiley on black passes the image
   checks, yet it is drawn, not scanned. A scanner adds fine noise everywhere, so
   neighbouring pixels of a head almost never share one gray level; a drawing is painted
   with flat fills (see :func:`drawing_warnings`).
3. **Feature check**, with the model: the model's last hidden features of a real scan lie
   close to those of the training scans of some class. The distance used is the
   Mahalanobis distance to the nearest class mean (with the covariance shared by the
   classes, after Lee et al., 2018); the alarm threshold is the distance that 99% of the
   validation scans stay under, so about 1 in 100 real scans is flagged by design.

The thresholds are measured on the data, not guessed: ``benchmarks/ood_report.py`` prints
how often they flag real test scans and the generated non-MRI images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import maximum_filter, minimum_filter

from mri_course.data.index import ImageRecord
from mri_course.io import atomic_write_bytes, sha256_of_file

FEATURE_LAYER_INPUT = "probabilities"  # the features are what the last layer reads
COLOUR_LIMIT = 24.0  # mean gap between a pixel's strongest and weakest channel, 0..255
BLANK_LIMIT = 6.0  # standard deviation of the gray levels below which an image is empty
DARK_LEVEL = 24  # gray level under which a pixel counts as background
DARK_SHARE_MIN = 0.12  # an MRI slice has at least this share of dark background
FEATURE_QUANTILE = 0.99
OOD_SUFFIX = ".ood.npz"


@dataclass(frozen=True)
class ImageStatistics:
    colour: float  # mean of (max channel - min channel), 0 for a gray image
    spread: float  # standard deviation of the gray levels
    dark_share: float  # share of pixels darker than DARK_LEVEL


STATISTICS_SIDE = 512
"""Larger images are sampled on a grid of about this many points a side: the three numbers
are means and a spread, which a regular sample estimates well, and a 40-megapixel upload
would otherwise need half a gigabyte of floats."""


def image_statistics(pixels: np.ndarray) -> ImageStatistics:
    """The three numbers the image checks look at, from ``uint8`` RGB pixels."""
    pixels = np.asarray(pixels)
    step = max(1, -(-max(pixels.shape[:2]) // STATISTICS_SIDE))  # ceiling division
    rgb = np.asarray(pixels[::step, ::step], dtype=np.float32)
    gray = rgb.mean(axis=2)
    return ImageStatistics(
        colour=float((rgb.max(axis=2) - rgb.min(axis=2)).mean()),
        spread=float(gray.std()),
        dark_share=float((gray < DARK_LEVEL).mean()),
    )


def image_warnings(pixels: np.ndarray) -> list[str]:
    """Reasons, in words, why the image does not look like an MRI slice (none: it does).

    Three checks on :func:`image_statistics`, each adding its reason, in this order:

    1. ``spread < BLANK_LIMIT``: "it is almost blank: ...";
    2. ``colour > COLOUR_LIMIT``: "it is in colour, ...";
    3. ``dark_share < DARK_SHARE_MIN``: "it has no dark background around the head, ...".

    Args:
        pixels: ``uint8`` RGB ``(height, width, 3)``, the upload as decoded.

    Returns:
        A list of reasons (strings); empty when the image passes all three checks.

    Hints:
        - `found = image_statistics(pixels)` has `.colour`, `.spread` and `.dark_share`.
        - Three `if`s in the docstring's order, each appending its reason to a list:
          `found.spread < BLANK_LIMIT`, `found.colour > COLOUR_LIMIT`, `found.dark_share <
          DARK_SHARE_MIN`.
        - Return the list, also when it is empty: the image then looks like a scan.
    """
    found = image_statistics(pixels)
    reasons = []
    if found.spread < BLANK_LIMIT:
        reasons.append("it is almost blank: there is no structure to classify")
    if found.colour > COLOUR_LIMIT:
        reasons.append("it is in colour, and MRI slices are grayscale")
    if found.dark_share < DARK_SHARE_MIN:
        reasons.append("it has no dark background around the head, as MRI slices do")
    return reasons


FLAT_LEVELS = 1.0  # a 3 x 3 neighbourhood spanning at most this many gray levels is flat
BRIGHT_FRACTION = 0.25  # the bright part: pixels over a quarter of the image's 99th percentile
FLAT_SHARE_MAX = 0.4  # a scan has less of its bright part flat than this
DARK_SHARE_MAX = 0.9  # a head fills more than a tenth of the frame


@dataclass(frozen=True)
class DrawingStatistics:
    flat_share: float  # share of the bright part whose 3 x 3 neighbourhood is flat
    dark_share: float  # share of pixels darker than DARK_LEVEL, as in ImageStatistics


def drawing_statistics(pixels: np.ndarray) -> DrawingStatistics:
    """The two numbers the drawing check looks at, from ``uint8`` RGB pixels.

    The *bright part* is every pixel at least ``DARK_LEVEL`` and at least ``BRIGHT_FRACTION``
    of the image's 99th percentile: the head of a scan, the shapes of a drawing. The second
    bound leaves out the dark gray (not black) background some scanners export, which is
    flat too. A pixel is *flat* when its 3 x 3 neighbourhood spans at most ``FLAT_LEVELS``
    gray levels. Large images are sampled on the grid of :func:`image_statistics` (a
    sample, not an average, which would smooth the noise away).
    """
    pixels = np.asarray(pixels)
    step = max(1, -(-max(pixels.shape[:2]) // STATISTICS_SIDE))  # ceiling division
    gray = np.asarray(pixels[::step, ::step], dtype=np.float32).mean(axis=2)
    dark_share = float((gray < DARK_LEVEL).mean())
    bright = gray >= max(DARK_LEVEL, BRIGHT_FRACTION * float(np.percentile(gray, 99)))
    if not bright.any():
        return DrawingStatistics(flat_share=0.0, dark_share=dark_share)
    spans = maximum_filter(gray, size=3) - minimum_filter(gray, size=3)
    flat_share = float((spans[bright] <= FLAT_LEVELS).mean())
    return DrawingStatistics(flat_share=flat_share, dark_share=dark_share)


def drawing_warnings(pixels: np.ndarray) -> list[str]:
    """Reasons, in words, why the image looks drawn rather than scanned (none: it does not).

    1. ``flat_share > FLAT_SHARE_MAX``: filled shapes. Noise makes almost every 3 x 3
       neighbourhood of a scanned head span a few gray levels; inside a filled disc all
       nine pixels are equal, and stay equal when the drawing is saved as a JPEG or
       blurred a little (only its edges change).
    2. ``dark_share > DARK_SHARE_MAX``: a few thin strokes or small shapes on black. Strokes
       have no inside to be flat, and blurring or JPEG noise makes their pixels differ; but
       a head fills a good part of an MRI frame, and strokes cover very little of it.

    An image with nothing brighter than ``DARK_LEVEL`` gets no reason here: nothing is
    drawn on it, and the blank check of :func:`image_warnings` speaks for it.

    Both thresholds were chosen on the course's training and validation scans, never on the
    test scans, so that they flag none of them, with room to spare: the flattest of those
    scans has well under ``FLAT_SHARE_MAX`` of its bright part flat, and the darkest well
    under ``DARK_SHARE_MAX`` of its frame dark, while a plain drawing has most of its bright
    part flat. ``benchmarks/results/ood_report.md`` lists both statistics on those scans,
    how often the check fires on the 1311 test scans (measured once, afterwards) and on
    each kind of :mod:`mri_course.app.not_mri` image, and on real scans edited before an
    upload: a scan saved as a very coarse JPEG, or magnified pixel by pixel (blocks of
    repeated pixels), can look flat too.
    """
    found = drawing_statistics(pixels)
    if found.dark_share == 1.0:
        return []
    reasons = []
    if found.flat_share > FLAT_SHARE_MAX:
        reasons.append(
            "it looks drawn: large areas of one flat gray, without the fine noise of a real scan"
        )
    if found.dark_share > DARK_SHARE_MAX:
        reasons.append(
            "it looks drawn: a few strokes or small shapes on black, where a head would fill "
            "much of the frame"
        )
    return reasons


@dataclass(frozen=True)
class FeatureDetector:
    """Class means and a shared precision matrix of a model's features, with a threshold."""

    means: np.ndarray  # (classes, features)
    precision: np.ndarray  # (features, features), the inverse of the shared covariance
    threshold: float
    quantile: float = FEATURE_QUANTILE  # the share of validation scans under the threshold
    model_sha256: str = ""  # the model file it was fitted for: another model, another space

    def distances(self, features: np.ndarray) -> np.ndarray:
        """Mahalanobis distance of each row of ``features`` to its nearest class mean."""
        features = np.atleast_2d(np.asarray(features, dtype=np.float64))
        gaps = features[:, None, :] - self.means[None, :, :]
        squared = np.einsum("ncf,fg,ncg->nc", gaps, self.precision, gaps)
        return np.sqrt(np.maximum(squared.min(axis=1), 0.0))

    def save(self, path: Path) -> Path:
        import io

        buffer = io.BytesIO()
        np.savez(
            buffer,
            means=self.means,
            precision=self.precision,
            threshold=self.threshold,
            quantile=self.quantile,
            model_sha256=self.model_sha256,
        )
        return atomic_write_bytes(path, buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> FeatureDetector:
        with np.load(path) as saved:
            return cls(
                saved["means"],
                saved["precision"],
                float(saved["threshold"]),
                float(saved["quantile"]) if "quantile" in saved else FEATURE_QUANTILE,
                str(saved["model_sha256"]) if "model_sha256" in saved else "",
            )


def feature_model(model):
    """A model from the same input to the features its last layer reads."""
    import keras

    return keras.Model(model.input, model.get_layer(FEATURE_LAYER_INPUT).input)


def record_features(model, records: Sequence[ImageRecord], batch_size: int = 64) -> np.ndarray:
    """The features of ``records`` (plain images, as in evaluation)."""
    from mri_course.data.pipeline import make_dataset

    size = int(model.input_shape[1])
    dataset = make_dataset(records, size, batch_size, training=False, seed=0, cache=False)
    return feature_model(model).predict(dataset.map(lambda x, _y: x), verbose=0)


def fit_feature_detector(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    val_features: np.ndarray,
    quantile: float = FEATURE_QUANTILE,
    shrinkage: float = 1e-3,
    model_sha256: str = "",
) -> FeatureDetector:
    """Fit class means and a shared covariance on training features; set the threshold at
    the ``quantile`` of the validation scans' distances.

    ``shrinkage`` adds a small multiple of the mean variance to the diagonal, so the
    covariance can be inverted even when some features never vary (dead ReLUs).
    """
    train_features = np.asarray(train_features, dtype=np.float64)
    labels = np.asarray(train_labels)
    classes = np.unique(labels)
    means = np.stack([train_features[labels == c].mean(axis=0) for c in classes])
    centred = train_features - means[np.searchsorted(classes, labels)]
    covariance = centred.T @ centred / len(centred)
    covariance += shrinkage * np.trace(covariance) / len(covariance) * np.eye(len(covariance))
    detector = FeatureDetector(means, np.linalg.inv(covariance), threshold=np.inf)
    threshold = float(np.quantile(detector.distances(val_features), quantile))
    return FeatureDetector(means, detector.precision, threshold, quantile, model_sha256)


def detector_path(model_path: Path) -> Path:
    return Path(model_path).with_suffix(OOD_SUFFIX)


def detector_for(model_path: Path) -> tuple[FeatureDetector | None, str]:
    """The feature detector saved beside a model, or None and the reason there is none.

    A detector fitted for another version of the model file (it was trained again) is
    refused: its class means live in the old model's feature space, and its distances
    would flag every scan, or none.
    """
    path = detector_path(model_path)
    if not path.is_file():
        return None, f"no {path.name} beside the model"
    detector = FeatureDetector.load(path)
    if detector.model_sha256 != sha256_of_file(model_path):
        return None, f"{path.name} was fitted for another version of the model file"
    return detector, ""


@dataclass(frozen=True)
class OodVerdict:
    """Whether to trust a label for this image, and why not."""

    reasons: tuple[str, ...]
    distance: float | None  # None when the model has no feature detector
    threshold: float | None

    @property
    def looks_like_mri(self) -> bool:
        return not self.reasons


def check_image(pixels: np.ndarray, features: np.ndarray | None = None, detector=None):
    """All three checks on one image; ``features`` are the model's features of it, if known."""
    reasons = image_warnings(pixels) + drawing_warnings(pixels)
    distance = threshold = None
    if detector is not None and features is not None:
        distance = float(detector.distances(features)[0])
        threshold = detector.threshold
        if distance > threshold:
            reasons.append(
                f"the model's features are far from every class it was trained on "
                f"(distance {distance:.1f}, where {detector.quantile:.0%} of real scans stay "
                f"under {threshold:.1f})"
            )
    return OodVerdict(tuple(reasons), distance, threshold)
