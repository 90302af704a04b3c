"""The baseline that never sees the brain: it finds a planted shortcut, and none where there
is none; on the real data it scores far above chance (the lesson's point)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mri_course.audit.metadata import (
    FEATURES,
    SIZE_FEATURES,
    baseline_markdown,
    fit_metadata_baseline,
    metadata_features,
)
from mri_course.config import load_settings
from mri_course.data.survey import survey_dataset
from mri_course.data.synthetic import make_synthetic_dataset

NOTUMOR = 2


def _survey(root: Path, shrink_notumor: bool):
    make_synthetic_dataset(root, train_per_class=16, test_per_class=6, size=96, seed=5)
    if shrink_notumor:  # the shortcut of the real data: healthy scans come in other sizes
        for path in root.glob("*/notumor/*"):
            with Image.open(path) as image:
                image.resize((80, 72)).save(path, format=image.format)
    survey = survey_dataset(root, cache_dir=None, progress=False)
    return survey, survey.splits(0.25, seed=1)


@pytest.fixture(scope="module")
def shortcut(tmp_path_factory):
    return _survey(tmp_path_factory.mktemp("shortcut") / "data", shrink_notumor=True)


def test_the_features_come_from_the_scan_and_the_file(shortcut):
    survey, splits = shortcut
    records = splits.test
    features = metadata_features(survey, records)
    assert features.shape == (len(records), len(FEATURES))
    column = {name: features[:, k] for k, name in enumerate(FEATURES)}
    widths, kilobytes = column["width"], column["file_kilobytes"]
    for record, width, size in zip(records, widths, kilobytes, strict=True):
        with Image.open(record.path) as image:
            assert width == image.width
        assert size == pytest.approx(record.path.stat().st_size / 1024)
    healthy = np.array([record.label_index == NOTUMOR for record in records])
    assert (widths[healthy] == 80).all() and (widths[~healthy] != 80).all()  # 96 or enlarged
    assert np.allclose(column["aspect_ratio"], column["width"] / column["height"])
    assert ((column["dark_share"] >= 0) & (column["dark_share"] <= 1)).all()


def test_a_planted_size_shortcut_is_found_from_the_size_alone(shortcut):
    survey, splits = shortcut
    baseline = fit_metadata_baseline(survey, splits, SIZE_FEATURES)
    assert baseline.chosen == max(baseline.validation, key=baseline.validation.get)
    for name in ("test", "clean_test"):
        assert baseline.subset(name).recall[NOTUMOR] == 1.0
    assert max(baseline.importance, key=baseline.importance.get) in SIZE_FEATURES
    table = baseline_markdown([baseline])
    assert "size only" in table and "| clean_test |" in table


def test_without_a_shortcut_the_size_says_nothing(tmp_path):
    survey, splits = _survey(tmp_path / "data", shrink_notumor=False)
    baseline = fit_metadata_baseline(survey, splits, SIZE_FEATURES)
    # every image has the same size: one answer for all, right for one class in four
    assert baseline.subset("test").accuracy == pytest.approx(0.25)
    assert set(baseline.importance.values()) == {0.0}


def test_unknown_features_are_refused(shortcut):
    survey, splits = shortcut
    with pytest.raises(ValueError, match="unknown features \\['colour'\\]"):
        fit_metadata_baseline(survey, splits, ("width", "colour"))


@pytest.mark.real_data
def test_on_the_real_data_the_file_alone_beats_chance_by_far(real_root):
    settings = load_settings()
    survey = survey_dataset(real_root, settings.cache_dir, progress=False)
    splits = survey.splits(settings.with_profile("cpu").profile.val_fraction, settings.seed)
    baseline = fit_metadata_baseline(survey, splits, seed=settings.seed)
    majority = np.bincount([r.label_index for r in splits.test]).max() / len(splits.test)
    assert baseline.subset("test").accuracy > majority + 0.3
    assert baseline.subset("clean_test").recall[NOTUMOR] > 0.9  # healthy scans give themselves away
