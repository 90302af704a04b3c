"""The MNI152 audit: template slices rendered like the dataset's images, and their scores."""

import json

import keras
import numpy as np
import pytest

from mri_course.audit import mni152
from mri_course.audit.mni152 import (
    PLANES,
    WINDOWS,
    PlaneScore,
    Window,
    confident_wrong_share,
    render_slices,
    score_plane,
    score_planes,
    slice_positions,
)
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.release import CLASS_NAMES
from mri_course.models.shipped import SHIPPED_CNN

SIZE = 64


@pytest.fixture(scope="module")
def rendered():
    return {plane: render_slices(plane, 5, size=SIZE) for plane in PLANES}


def test_slices_are_uint8_rgb_grey_images_of_the_asked_size(rendered):
    for images in rendered.values():
        assert images.shape == (5, SIZE, SIZE, 3) and images.dtype == np.uint8
        assert (images[..., 0] == images[..., 1]).all() and (images[..., 1] == images[..., 2]).all()


def test_each_slice_shows_a_head_filling_the_frame_on_black(rendered):
    for plane, images in rendered.items():
        grey = images[..., 0]
        border = np.concatenate([grey[:, :2].ravel(), grey[:, -2:].ravel(), grey[:, :, :2].ravel()])
        assert border.max() == 0, f"{plane}: the background must be black"
        brain = grey > 10
        assert (brain.mean(axis=(1, 2)) > 0.08).all(), f"{plane}: a near-empty slice was kept"
        middle = brain[len(brain) // 2]
        rows, cols = np.flatnonzero(middle.any(axis=1)), np.flatnonzero(middle.any(axis=0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 >= 0.8 * SIZE, plane
        assert grey.max() >= 200, f"{plane}: the default window should reach white"


def test_the_three_planes_are_different_sections(rendered):
    middles = {plane: images[len(images) // 2].astype(int) for plane, images in rendered.items()}
    for a, b in [("axial", "coronal"), ("axial", "sagittal"), ("coronal", "sagittal")]:
        assert np.abs(middles[a] - middles[b]).mean() > 10, f"{a} and {b} look the same"
    # Within a plane the slices move through the brain (the template is left-right
    # symmetric, so sagittal slices 1 and 3 of 5 are mirror twins: compare neighbours).
    for plane, images in rendered.items():
        assert np.abs(images[1].astype(int) - images[2].astype(int)).mean() > 5, plane


def test_rendering_is_deterministic():
    first = render_slices("coronal", 3, size=SIZE)
    again = render_slices("coronal", 3, size=SIZE)
    assert np.array_equal(first, again)
    assert slice_positions("coronal", 3) == slice_positions("coronal", 3)


def test_positions_spread_over_the_brain_in_order():
    for plane in PLANES:
        positions = slice_positions(plane, 6)
        assert len(positions) == 6 and all(np.diff(positions) > 0)
        assert positions[-1] - positions[0] > 80, f"{plane}: slices should span the brain (mm)"
    with pytest.raises(ValueError, match="slices with brain"):
        render_slices("axial", 1000, size=SIZE)


def test_the_window_changes_the_pixels_but_not_the_background():
    images = {name: render_slices("axial", 3, window=w, size=SIZE) for name, w in WINDOWS.items()}
    full, contrast, dim = images["full"], images["contrast"], images["dim"]
    assert not np.array_equal(full, contrast) and not np.array_equal(full, dim)
    assert dim.max() <= WINDOWS["dim"].peak < full.max()
    assert (contrast == 255).mean() > (full == 255).mean(), "a tighter window clips more"
    for name, found in images.items():
        assert found[:, :2].max() == 0 and found[:, -2:].max() == 0, f"{name}: background"


def test_bad_plane_names_and_windows_are_rejected_clearly():
    for call in (
        lambda: render_slices("transverse"),
        lambda: slice_positions("Axial"),
        lambda: score_plane(None, "side"),
    ):
        with pytest.raises(ValueError, match=r"unknown plane .*axial, coronal, sagittal"):
            call()
    with pytest.raises(ValueError, match="0 <= low < high <= 100"):
        Window(90, 10)
    with pytest.raises(ValueError, match="peak"):
        Window(1, 99, peak=0)


def _fake_template(marker_at):
    """An ellipsoid brain with a bright cube in one corner octant, in R, A, S order."""
    shape = (60, 70, 50)
    grid = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    volume = (sum(g**2 for g in grid) < 0.9).astype(np.float32) * 0.5
    x, y, z = (slice(40, 48) if hi else slice(12, 20) for hi in marker_at)
    volume[x, y, z] = 1.0
    affine = np.eye(4)
    affine[:3, 3] = [-30, -35, -25]
    return volume, affine


@pytest.mark.parametrize("plane", PLANES)
def test_orientation_matches_the_dataset(monkeypatch, plane):
    """Right, anterior, superior corner -> the image's top left in every plane: radiological
    view (patient's right on the left), anterior or superior up, the nose to the left."""
    fake = _fake_template((True, True, True))
    monkeypatch.setattr(mni152, "_template", lambda: fake)
    images = render_slices(plane, 9, size=SIZE, min_area=0.0)[..., 0]
    through_marker = images[np.argmax((images == images.max()).sum(axis=(1, 2)))]
    rows, cols = np.nonzero(through_marker >= 250)
    assert rows.mean() < SIZE / 2 and cols.mean() < SIZE / 2, (plane, rows.mean(), cols.mean())


def _score(probabilities, plane="axial"):
    return PlaneScore(plane, WINDOWS["full"], tuple(range(len(probabilities))), probabilities)


def test_plane_score_summaries_follow_the_per_slice_calls():
    g, m, n, p = (np.eye(4) * 0.6 + 0.1).tolist()  # one row per class, 0.7 on its own
    rows = (
        (0.02, 0.03, 0.93, 0.02),  # notumor, right
        (0.95, 0.02, 0.02, 0.01),  # glioma at 0.95: confidently wrong
        (0.10, 0.60, 0.20, 0.10),  # meningioma at 0.60
        tuple(p),  # pituitary at 0.70
    )
    score = _score(rows)
    assert score.predicted == ("notumor", "glioma", "meningioma", "pituitary")
    assert score.counts == {"glioma": 1, "meningioma": 1, "notumor": 1, "pituitary": 1}
    assert score.share_notumor == 0.25 and score.slices == 4
    assert score.wrong_confidences == pytest.approx((0.95, 0.60, 0.70))
    assert score.median_wrong_confidence == pytest.approx(0.70)
    assert score.max_wrong_confidence == pytest.approx(0.95)
    assert score.wrong_at(0.9) == 1 and score.wrong_at(0.6) == 3 and score.wrong_at(0.99) == 0
    right = _score((tuple(n),), plane="coronal")
    assert right.wrong_confidences == () and right.median_wrong_confidence is None
    assert confident_wrong_share([score, right], 0.9) == pytest.approx(1 / 5)
    assert confident_wrong_share({"a": score, "c": right}, 0.65) == pytest.approx(2 / 5)
    with pytest.raises(ValueError, match="per slice position"):
        PlaneScore("axial", WINDOWS["full"], (0.0,), (tuple(g), tuple(m)))


@pytest.fixture(scope="module")
def shipped():
    return keras.models.load_model(SHIPPED_CNN, compile=False)


def test_scoring_the_shipped_cnn_gives_consistent_results(shipped):
    scores = score_planes(shipped, count=3, size=200, window=WINDOWS["contrast"])
    assert list(scores) == list(PLANES)
    for plane, score in scores.items():
        assert score.plane == plane and score.window == WINDOWS["contrast"]
        assert score.slices == 3 and score.positions_mm == slice_positions(plane, 3)
        assert sum(score.counts.values()) == 3 and set(score.counts) == set(CLASS_NAMES)
        assert score.share_notumor == score.counts["notumor"] / 3
        assert len(score.wrong_confidences) == 3 - score.counts["notumor"]
        assert score.wrong_at(0.0) == len(score.wrong_confidences)
        assert all(np.isclose(sum(row), 1, atol=1e-4) for row in score.probabilities)
        assert all(0.25 <= c <= 1.0 for c in score.confidence)
        summary = json.loads(json.dumps(score.summary()))
        assert summary["counts"] == score.counts and len(summary["per_slice"]) == 3
        # The model's own probabilities on the slices, fitted (200 -> 128 px) as in training.
        images = render_slices(plane, 3, size=200, window=WINDOWS["contrast"])
        batch = np.stack([prepare_pixels(image, 128) for image in images])
        expected = shipped.predict(batch, verbose=0)
        np.testing.assert_allclose(score.probabilities, expected, atol=1e-5)
    total_wrong = sum(s.wrong_at(0.9) for s in scores.values())
    assert confident_wrong_share(scores) == pytest.approx(total_wrong / 9)
