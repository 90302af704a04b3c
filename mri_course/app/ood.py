"""Does this look like a brain MRI at all? Out-of-distribution checks before a label.

A classifier always answers with one of its four classes, even for a holiday photo: its
softmax must sum to one. So the app asks first whether the image is of the kind the model
was trained on, in two ways:

1. **Image checks**, without the model: an MRI slice is gray (no colour), is not blank, and
   lies on a black background. A colour photo, an empty frame or a scanned document fails
   one of these at once.
2. **Feature check**, with the model: the model's last hidden features of a real scan lie
   close to those of the training scans of some class. The distance used is the
   Mahalanobis distance to the nearest class mean (with the covariance shared by the
   classes, after Lee et al., 2018); the alarm threshold is the distance that 99% of the
   validation scans stay under, so about 1 in 100 real scans is flagged by design.

Both thresholds are measured on the data, not guessed: ``benchmarks/ood_report.py``
prints how often they flag real test scans and the generated non-MRI images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
    """Both checks on one image; ``features`` are the model's features of it, if known."""
    reasons = image_warnings(pixels)
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
