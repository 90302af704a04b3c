"""A model's predictions on a set of scans, kept together with the scans and true labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mri_course.data.index import ImageRecord
from mri_course.intuition.loss import validate_probabilities


@dataclass(frozen=True)
class Predictions:
    """Probabilities for each record, in the records' order."""

    records: tuple[ImageRecord, ...]
    probabilities: np.ndarray  # (images, classes)

    def __post_init__(self) -> None:
        if len(self.records):
            validate_probabilities(self.probabilities)
        if len(self.records) != len(self.probabilities):
            raise ValueError(
                f"{len(self.records)} records but {len(self.probabilities)} rows of probabilities"
            )

    @property
    def labels(self) -> np.ndarray:
        return np.array([r.label_index for r in self.records], dtype=np.int64)

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def correct(self) -> np.ndarray:
        return self.predicted == self.labels

    def subset(self, records: Sequence[ImageRecord]) -> Predictions:
        """The predictions of ``records``, which must all be among these records."""
        position = {r.relpath: k for k, r in enumerate(self.records)}
        missing = [r.relpath for r in records if r.relpath not in position]
        if missing:
            raise ValueError(f"{len(missing)} records were not predicted, e.g. {missing[0]}")
        rows = [position[r.relpath] for r in records]
        return Predictions(tuple(records), self.probabilities[rows])


def predict(model, records: Sequence[ImageRecord], batch_size: int = 64) -> Predictions:
    """Run ``model`` on ``records`` through the same pipeline as training (plain images).

    The image size is read from the model's input, so a model trained at any size is fed
    what it expects.
    """
    from mri_course.data.pipeline import make_dataset

    image_size = int(model.input_shape[1])
    dataset = make_dataset(
        records, image_size, batch_size, training=False, seed=0, cache=False
    ).map(lambda images, _labels: images)
    probabilities = model.predict(dataset, verbose=0).astype(np.float64)
    return Predictions(tuple(records), probabilities)
