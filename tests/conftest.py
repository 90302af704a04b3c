"""Shared fixtures: a small synthetic dataset, and the real one when the setting points at it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mri_course.config import DATA_ENV
from mri_course.data.locate import find_dataset_root
from mri_course.data.survey import survey_dataset
from mri_course.data.synthetic import make_synthetic_dataset


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    """A synthetic dataset: 12 training and 4 test images per class, planted copies."""
    root = tmp_path_factory.mktemp("synthetic") / "brain-tumor-mri"
    return make_synthetic_dataset(root, train_per_class=12, test_per_class=4, size=128, seed=3)


@pytest.fixture(scope="session")
def synthetic_survey(synthetic):
    return survey_dataset(synthetic.root, cache_dir=None, progress=False)


@pytest.fixture(scope="session")
def real_root() -> Path:
    """The real dataset, or a skip when MRI_COURSE_DATA is not set.

    A setting that points at the wrong folder fails instead of skipping: a typo must not
    silently switch the real-data tests off.
    """
    value = os.environ.get(DATA_ENV, "").strip()
    if not value:
        pytest.skip(f"real-data test: set {DATA_ENV} to the Kaggle dataset folder to run it")
    root = find_dataset_root(Path(value))
    if root is None:
        pytest.fail(f"{DATA_ENV}={value} has no Training/ and Testing/ folders")
    return root


@pytest.fixture
def app_env(monkeypatch):
    """The app's settings in its tests: the fast models, no dataset, no Gemini key, address
    or timeout of the machine's own."""
    from app_models import fast_models_dir

    monkeypatch.setenv("MRI_COURSE_PROFILE", "fast")
    monkeypatch.setenv("MRI_COURSE_MODELS", str(fast_models_dir()))
    for name in (
        "MRI_COURSE_DATA",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "MRI_COURSE_GEMINI_BASE_URL",
        "MRI_COURSE_GEMINI_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch
