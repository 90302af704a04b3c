"""Feature extraction: run the frozen Xception base once and keep its outputs.

With the base frozen, every epoch of head training would push the same images through the
same 20 million weights. Computing the 2048 features of each image once and training the
small head on them is the same training, many times faster; the features are cached on
disk, keyed by the weights, the image size and the images.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from mri_course.data.index import ImageRecord
from mri_course.data.pipeline import make_dataset
from mri_course.data.release import CLASS_NAMES
from mri_course.io import atomic_write_bytes


def _cache_file(
    cache_dir: Path, weights_id: str, records: Sequence[ImageRecord], size: int
) -> Path:
    digest = hashlib.sha256(f"{weights_id}\n{size}\n".encode())
    for record in records:
        digest.update(f"{record.root}/{record.relpath}\n".encode())
    return Path(cache_dir) / "features" / f"xception-{digest.hexdigest()[:24]}.npz"


def weights_identity(weights: str | Path | None) -> str | None:
    """A string that changes when the weights change; None for random weights."""
    if weights is None:
        return None
    if weights == "imagenet":
        return "imagenet"
    stat = Path(weights).stat()
    return f"{Path(weights).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def extract_features(
    features_model: keras.Model,
    records: Sequence[ImageRecord],
    batch_size: int,
    cache_dir: Path | None = None,
    weights_id: str | None = None,
    verbose: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """``(features, one-hot labels)`` of ``records`` through ``features_model``, cached.

    Nothing is cached for random weights (``weights_id`` None): they change every build.
    """
    size = int(features_model.input_shape[1])
    cache_file = None
    if cache_dir is not None and weights_id is not None:
        cache_file = _cache_file(cache_dir, weights_id, records, size)
        if cache_file.exists():
            with np.load(cache_file) as stored:
                return stored["features"], stored["labels"]
    dataset = make_dataset(records, size, batch_size, training=False, seed=0, cache=False)
    features = features_model.predict(dataset.map(lambda images, _: images), verbose=verbose)
    labels = keras.utils.to_categorical([r.label_index for r in records], len(CLASS_NAMES))
    if cache_file is not None:
        buffer = io.BytesIO()
        np.savez(buffer, features=features, labels=labels)
        atomic_write_bytes(cache_file, buffer.getvalue())
    return features, labels
