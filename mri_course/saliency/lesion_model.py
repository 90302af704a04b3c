"""A CNN that has learnt the synthetic lesions: what the pointing game and sanity check test.

The real scans come without lesion masks, so whether a map points at the tumour can only be
measured on the synthetic scans, whose masks are known. The ``fast`` profile's CNN trains
for 2 epochs and still guesses (25% on its test scans, measured); trained for
``LESION_EPOCHS`` epochs on the same scans it reached 92.5% in about 20 seconds on a CPU
(``benchmarks/results/saliency_report.md``), and its maps can be judged. It is saved beside
the other models and reused.
"""

from __future__ import annotations

import keras

from mri_course.config import Settings
from mri_course.data.locate import dataset_root
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
