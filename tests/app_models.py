"""Small real models for the app's tests, trained once per test process in the fast profile.

The app lists models from the settings' models folder, so the tests point
``MRI_COURSE_MODELS`` at a folder made here instead of depending on the shipped CNN:
a compact CNN (``cnn_fast.keras``, with an OOD detector beside it) and an Xception transfer
model (``xception_fast.keras``, head only, random base), trained on the synthetic scans.
"""

from __future__ import annotations

import dataclasses
import functools
import tempfile
from pathlib import Path

from mri_course import load_settings
from mri_course.config import Settings


def fast_settings(models_dir: Path | None = None) -> Settings:
    settings = load_settings().with_profile("fast")
    return settings if models_dir is None else dataclasses.replace(settings, models_dir=models_dir)


@functools.cache
def fast_models_dir() -> Path:
    """A folder with ``cnn_fast.keras`` (+ card, + ``.ood.npz``) and ``xception_fast.keras``."""
    from mri_course.app.ood import detector_path, fit_feature_detector, record_features
    from mri_course.data.locate import dataset_root
    from mri_course.data.survey import survey_dataset
    from mri_course.evaluation.uncertainty import record_uncertainty
    from mri_course.io import sha256_of_file
    from mri_course.training import recipe_for, train

    folder = Path(tempfile.mkdtemp(prefix="mri-course-app-models-"))
    settings = fast_settings(folder)
    survey = survey_dataset(dataset_root(settings), settings.cache_dir, progress=False)
    cnn = train("cnn", settings, survey=survey, verbose=0)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    detector = fit_feature_detector(
        record_features(cnn.model, splits.train),
        [record.label_index for record in splits.train],
        record_features(cnn.model, splits.val),
        model_sha256=sha256_of_file(cnn.path),
    )
    detector.save(detector_path(cnn.path))
    record_uncertainty(cnn.model, cnn.path, splits.val)  # as `mri-course train` does
    head_only = dataclasses.replace(recipe_for("xception", settings.profile), fine_tune_epochs=0)
    train("xception", settings, survey=survey, recipe=head_only, verbose=0)
    return folder
