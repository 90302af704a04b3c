"""A CNN that has learnt the synthetic lesions, and its scans with their lesion masks.

The real scans come without lesion masks, so whether a map points at the tumour can only be
measured on the synthetic scans, whose masks are known. The ``fast`` profile's CNN trains
for 2 epochs and still guesses; trained for ``LESION_EPOCHS`` epochs on the same scans it
has learnt the lesions in seconds on a CPU, and its maps can be judged (both measured in
``benchmarks/results/saliency_report.md``). It is saved beside the other models and reused.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from mri_course.config import Settings
from mri_course.data.decode import load_rgb
from mri_course.data.index import ImageRecord
from mri_course.data.locate import dataset_root
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.splits import Splits
from mri_course.data.survey import survey_dataset
from mri_course.data.synthetic import SyntheticDataset, load_synthetic_dataset
from mri_course.training import train

LESION_CNN_NAME = "cnn_synthetic_lesions"
LESION_EPOCHS = 15


def synthetic_lesion_cnn(
    settings: Settings, verbose: int = 0
) -> tuple[keras.Model, SyntheticDataset, Splits]:
    """The compact CNN trained on the ``fast`` profile's synthetic scans for
    ``LESION_EPOCHS`` epochs, with that dataset and its split.

    Whatever the profile of ``settings``, the data is synthetic (only it has lesion masks);
    the model goes to ``settings.models_dir / "cnn_synthetic_lesions.keras"``, trained on
    the first call and loaded afterwards.
    """
    fast = settings.with_profile("fast")
    root = dataset_root(fast)
    dataset = load_synthetic_dataset(root)
    survey = survey_dataset(root, fast.cache_dir, progress=verbose > 0)
    splits = survey.splits(fast.profile.val_fraction, fast.seed)
    path = fast.models_dir / f"{LESION_CNN_NAME}.keras"
    if path.is_file():
        return keras.models.load_model(path), dataset, splits
    trained = train(
        "cnn", fast, epochs=LESION_EPOCHS, name=LESION_CNN_NAME, survey=survey, verbose=verbose
    )
    return trained.model, dataset, splits


def lesion_mask(dataset: SyntheticDataset, relpath: str, image_size: int) -> np.ndarray:
    """An image's lesion mask at the model's input size, fitted exactly as the image is
    (:func:`prepare_pixels` scales and pads; some test images are enlarged copies)."""
    mask = np.repeat(dataset.mask_for(relpath)[..., np.newaxis], 3, axis=-1)
    return prepare_pixels(np.uint8(mask) * 255, image_size)[..., 0] > 127


def lesion_images(
    dataset: SyntheticDataset, records: Sequence[ImageRecord], image_size: int
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """The records that have a lesion, as ``(images, lesion masks, class indices)`` at the
    model's input size: what :func:`pointing_game` takes."""
    with_lesion = [record for record in records if dataset.mask_for(record.relpath).any()]
    images = np.stack([prepare_pixels(load_rgb(r.path), image_size) for r in with_lesion])
    masks = [lesion_mask(dataset, r.relpath, image_size) for r in with_lesion]
    return images, masks, np.array([r.label_index for r in with_lesion])
