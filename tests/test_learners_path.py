"""The learner's path (issue 14): what lessons 01, 02 and 07 print must be true.

A stand-in Xception names the real reason its weights are random; a saliency map can be
held against where the tumour is; the offline explanation places meningiomas correctly; the
leakage report's share is the exercise's function.
"""

from pathlib import Path

import numpy as np
import pytest

from mri_course.config import load_settings
from mri_course.data.index import ImageRecord
from mri_course.data.leakage import LeakageRow, leaked_share
from mri_course.explain.offline import WHERE_TO_LOOK
from mri_course.saliency.overlay import SaliencyMap
from mri_course.saliency.tumour import HAND_OUTLINES, on_target, tumour_outline
from mri_course.training.registry import lesson_xception


def _settings(tmp_path, profile):
    return load_settings(
        {
            "MRI_COURSE_PROFILE": profile,
            "MRI_COURSE_MODELS": str(tmp_path / "models"),
            "MRI_COURSE_CACHE": str(tmp_path / "cache"),
        }
    )


def test_a_stand_in_xception_on_real_data_says_none_was_trained(tmp_path, capsys):
    settings = _settings(tmp_path, "cpu")
    chosen = lesson_xception(settings)
    printed = capsys.readouterr().out
    assert "fast profile" not in printed + chosen.where
    for said in (printed, chosen.where):
        assert str(settings.models_dir) in said
        assert "mri-course train xception --profile cpu" in said
    assert chosen.card is None and chosen.model.input_shape[1] == 128


def test_a_stand_in_xception_in_the_fast_profile_says_so(tmp_path, capsys):
    chosen = lesson_xception(_settings(tmp_path, "fast"))
    assert "fast profile" in capsys.readouterr().out
    assert "fast profile" in chosen.where


def test_meningiomas_are_placed_at_the_brains_surface_not_only_the_skull():
    text = WHERE_TO_LOOK["meningioma"]
    assert "usually press" not in text
    for place in ("meninges", "skull", "falx", "skull base"):
        assert place in text


def test_the_leakage_summary_uses_the_exercise_function():
    row = LeakageRow("Testing", "all", 20, 6, 3, 5, 12)
    assert leaked_share(row) == pytest.approx(0.4)
    assert leaked_share(LeakageRow("Testing", "glioma", 0, 0, 0, 0, 0)) == 0.0


def test_a_synthetic_scan_gives_its_lesion_mask_as_outline(synthetic):
    relpath = next(p for p in _relpaths(synthetic.root) if p.startswith("Testing/glioma/"))
    record = ImageRecord(relpath, relpath.split("/")[0], "glioma", synthetic.root)
    outline = tumour_outline(record, 64)
    assert outline.shape == (64, 64) and outline.dtype == bool and outline.any()


def test_a_real_scan_has_a_hand_outline_or_none(tmp_path):
    relpath, (cx, cy, _, _) = next(iter(HAND_OUTLINES.items()))
    outline = tumour_outline(ImageRecord(relpath, "Testing", "glioma", tmp_path), 100)
    assert outline[int(cy * 100), int(cx * 100)]
    assert not outline[5, 5]
    unknown = ImageRecord("Testing/glioma/other.jpg", "Testing", "glioma", tmp_path)
    assert tumour_outline(unknown, 100) is None


def _map(peak: tuple[int, int], size: int = 20) -> SaliencyMap:
    display = np.zeros((size, size))
    display[peak] = 1.0
    brain = np.ones((size, size), dtype=bool)
    return SaliencyMap("gradcam", 0, display, brain, display, 80.0)


def test_on_target_reads_the_peak_and_the_share_against_chance():
    outline = np.zeros((20, 20), dtype=bool)
    outline[:5, :5] = True
    inside, outside = on_target(_map((2, 2)), outline), on_target(_map((15, 15)), outline)
    assert inside.peak_inside and inside.share_inside == 1.0
    assert not outside.peak_inside and outside.share_inside == 0.0
    assert inside.outline_share == pytest.approx(25 / 400)
    assert "away from the tumour" in outside.to_text() and "Grad-CAM" in outside.to_text()
    with pytest.raises(ValueError, match="empty"):
        on_target(_map((2, 2)), np.zeros((20, 20), dtype=bool))


def test_the_measured_saliency_report_is_read_or_its_command_named(tmp_path):
    from mri_course.saliency.trust import measured_report

    assert "benchmarks/saliency_report.py" in measured_report(tmp_path / "missing.json")
    text = measured_report()
    assert "pointing game" in text or "benchmarks/saliency_report.py" in text


def _relpaths(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.glob("*/*/*.*") if "masks" not in p.parts)
