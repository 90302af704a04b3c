"""The out-of-distribution checks: image checks on generated non-MRI images, the drawing check
on generated drawings and on synthetic scans, and the Mahalanobis feature detector on
Gaussian features (the math) and on a tiny real model."""

from __future__ import annotations

import io

import numpy as np
import pytest
from bad_scans import scan_gray
from PIL import Image, ImageDraw
from scipy.ndimage import gaussian_filter

from mri_course.app import ood
from mri_course.app.not_mri import DRAWING_KINDS, KINDS, not_mri_image, not_mri_images
from mri_course.data.synthetic import render_scan
from mri_course.io import sha256_of_file

REASON_OF_KIND = {  # the reason each kind must be flagged for
    "colour photo": "colour",
    "gray photo": "dark background",
    "blank black": "blank",
    "blank white": "blank",
    "blank gray": "blank",
    "document": "dark background",
    "gray texture": "dark background",
}


def _rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., np.newaxis], 3, axis=-1)


@pytest.mark.parametrize("label", ["glioma", "meningioma", "notumor", "pituitary"])
def test_a_brain_scan_passes_the_image_checks(label):
    for seed in range(3):
        assert ood.image_warnings(_rgb(scan_gray(256, label, seed))) == []


@pytest.mark.parametrize("kind", list(REASON_OF_KIND))
def test_each_kind_of_non_mri_image_is_flagged_for_its_own_reason(kind):
    for image in (not_mri_image(kind, seed) for seed in range(5)):
        reasons = ood.image_warnings(image)
        assert any(REASON_OF_KIND[kind] in reason for reason in reasons), (kind, reasons)


def test_a_chest_xray_like_image_passes_the_image_checks_only_the_model_can_catch_it():
    """Gray, structured, on black: the image checks cannot tell it from a scan (by design)."""
    assert ood.image_warnings(not_mri_image("x-ray-like", 0)) == []


def test_the_generated_set_is_fixed_by_its_seed_and_covers_every_kind():
    first, again = not_mri_images(2, seed=5), not_mri_images(2, seed=5)
    assert list(first) == list(KINDS)
    for kind in KINDS:
        for a, b in zip(first[kind], again[kind], strict=True):
            assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3
            assert np.array_equal(a, b)
    assert not np.array_equal(first["noise"][0], not_mri_images(1, seed=6)["noise"][0])


# --- the drawing check ---------------------------------------------------------------------


def _drawn_reasons(pixels: np.ndarray) -> list[str]:
    return [r for r in ood.check_image(pixels).reasons if r.startswith("it looks drawn")]


@pytest.mark.parametrize("kind", DRAWING_KINDS)
def test_each_kind_of_drawing_is_flagged_as_drawn(kind):
    for seed in range(8):
        image = not_mri_image(kind, seed)
        verdict = ood.check_image(image)
        assert not verdict.looks_like_mri, (kind, seed)
        assert _drawn_reasons(image), (kind, seed, verdict.reasons)


def test_a_gray_disc_and_a_smiley_pass_the_image_checks_only_the_drawing_check_catches_them():
    """The outside evaluator's two examples: gray, not blank, on black."""
    for kind in ("gray disc", "smiley"):
        for seed in range(3):
            image = not_mri_image(kind, seed)
            assert ood.image_warnings(image) == [], (kind, seed)
            assert ood.check_image(image).reasons == (
                "it looks drawn: large areas of one flat gray, without the fine noise of a "
                "real scan",
            )


def _jpeg(gray: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(gray).convert("RGB").save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


@pytest.mark.parametrize("label", ["glioma", "meningioma", "notumor", "pituitary"])
def test_synthetic_scans_are_not_drawn_but_the_same_head_painted_flat_is(label):
    """The synthetic scans have a scanner's noise: no check fires, whatever their size or
    however they were saved; fill the same head with one gray and the drawing check fires."""
    for size in (96, 256, 512):
        gray = render_scan(label, size, np.random.default_rng(size))[0]
        bigger = np.asarray(Image.fromarray(gray).resize((2 * size, 2 * size), Image.BILINEAR))
        for pixels in (_rgb(gray), _jpeg(gray, 75), _rgb(bigger)):
            assert ood.check_image(pixels).looks_like_mri, (size, ood.check_image(pixels).reasons)
        head = gray >= ood.DARK_LEVEL
        painted = np.where(head, np.uint8(np.median(gray[head])), np.uint8(0))
        assert _drawn_reasons(_rgb(painted)), size


def test_thin_strokes_on_black_are_drawn_even_when_blurred():
    """Strokes have no inside to be flat; they are caught by how little of the frame they
    cover. A real head covers much more."""
    strokes = Image.new("L", (300, 240), 0)
    draw = ImageDraw.Draw(strokes)
    draw.ellipse((40, 40, 200, 180), outline=200, width=2)
    draw.line([(220, 30), (280, 120), (230, 210)], fill=160, width=2)
    blurred = np.uint8(np.round(gaussian_filter(np.asarray(strokes, np.float64), 1.0)))
    found = ood.drawing_statistics(_rgb(blurred))
    assert found.flat_share <= ood.FLAT_SHARE_MAX < 1, "no flat inside to find"
    assert found.dark_share > ood.DARK_SHARE_MAX
    assert ood.image_warnings(_rgb(blurred)) == []
    assert _drawn_reasons(_rgb(blurred)) == [
        "it looks drawn: a few strokes or small shapes on black, where a head would fill much "
        "of the frame"
    ]


def test_a_blank_image_is_called_blank_not_drawn_until_something_is_drawn_on_it():
    blank = not_mri_image("blank black", 0)
    assert ood.drawing_warnings(blank) == []
    assert any("blank" in reason for reason in ood.check_image(blank).reasons)
    canvas = Image.fromarray(blank)
    ImageDraw.Draw(canvas).ellipse((40, 40, 150, 140), fill=(150, 150, 150))
    assert _drawn_reasons(np.asarray(canvas))


def test_a_large_drawing_is_checked_on_a_sample_and_still_caught():
    disc = not_mri_image("gray disc", 0)
    big = np.repeat(np.repeat(disc, 12, axis=0), 12, axis=1)  # over 3000 pixels a side
    assert _drawn_reasons(big)
    scan = np.tile(_rgb(scan_gray(256)), (12, 16, 1))  # 3072 x 4096
    assert ood.check_image(scan).looks_like_mri


def test_statistics_of_a_large_image_are_sampled_and_still_right():
    rng = np.random.default_rng(0)
    tile = _rgb(scan_gray(256))
    big = np.tile(tile, (12, 16, 1))  # 3072 x 4096
    big[: big.shape[0] // 3] = rng.integers(0, 256, size=(big.shape[0] // 3, big.shape[1], 3))
    sampled, full = ood.image_statistics(big), _full_statistics(big)
    assert sampled.colour == pytest.approx(full.colour, rel=0.05)
    assert sampled.spread == pytest.approx(full.spread, rel=0.05)
    assert sampled.dark_share == pytest.approx(full.dark_share, abs=0.02)


def _full_statistics(pixels: np.ndarray) -> ood.ImageStatistics:
    rgb = pixels.astype(np.float64)
    gray = rgb.mean(axis=2)
    return ood.ImageStatistics(
        colour=float((rgb.max(axis=2) - rgb.min(axis=2)).mean()),
        spread=float(gray.std()),
        dark_share=float((gray < ood.DARK_LEVEL).mean()),
    )


# --- the feature detector: the math, on Gaussian features ---------------------------------


def _gaussian_features(rng, per_class=4000, dims=5):
    """Three classes around known means, with one shared, correlated covariance."""
    means = np.array([[0.0] * dims, [6.0] + [0.0] * (dims - 1), [0.0, 6.0] + [0.0] * (dims - 2)])
    mixing = rng.normal(size=(dims, dims))
    covariance = mixing @ mixing.T + np.eye(dims)
    chol = np.linalg.cholesky(covariance)

    def sample(n):
        labels = np.repeat(np.arange(3), n)
        return means[labels] + rng.normal(size=(3 * n, dims)) @ chol.T, labels

    return means, covariance, sample


def test_mahalanobis_distance_measures_in_standard_deviations_of_the_shared_covariance():
    rng = np.random.default_rng(0)
    means, covariance, sample = _gaussian_features(rng)
    train, labels = sample(4000)
    val, _ = sample(1000)
    detector = ood.fit_feature_detector(train, labels, val, shrinkage=0.0)
    assert np.allclose(detector.means, means, atol=0.15)
    assert np.allclose(detector.distances(means), 0.0, atol=0.1)
    # k standard deviations along the covariance's main axis is a distance of k.
    values, vectors = np.linalg.eigh(covariance)
    step = np.sqrt(values[-1]) * vectors[:, -1]
    assert detector.distances(means[0] + 3 * step)[0] == pytest.approx(3.0, rel=0.05)
    # The distance of a Gaussian sample is chi-distributed: the 99% point with 5 dimensions
    # is 3.88; the threshold is the validation scans' 99th percentile.
    assert detector.threshold == pytest.approx(np.quantile(detector.distances(val), 0.99))
    assert detector.threshold == pytest.approx(3.88, rel=0.06)


def test_the_distance_is_to_the_nearest_class_so_every_class_is_in_distribution():
    rng = np.random.default_rng(1)
    means, _, sample = _gaussian_features(rng)
    train, labels = sample(2000)
    detector = ood.fit_feature_detector(train, labels, sample(500)[0])
    near_each, _ = sample(200)
    assert (detector.distances(near_each) <= detector.threshold).mean() > 0.97
    far = means.mean(axis=0) + 40.0
    assert detector.distances(far)[0] > 3 * detector.threshold


def test_a_feature_that_never_varies_does_not_break_the_detector():
    rng = np.random.default_rng(2)
    _, _, sample = _gaussian_features(rng)
    train, labels = sample(500)
    dead = np.hstack([train, np.zeros((len(train), 1))])  # a ReLU that never fires
    val = np.hstack([sample(100)[0], np.zeros((300, 1))])
    detector = ood.fit_feature_detector(dead, labels, val)
    assert np.isfinite(detector.threshold) and np.all(np.isfinite(detector.distances(val)))


def test_the_detector_is_saved_beside_its_model_and_loads_the_same(tmp_path):
    rng = np.random.default_rng(3)
    _, _, sample = _gaussian_features(rng)
    train, labels = sample(300)
    detector = ood.fit_feature_detector(train, labels, sample(100)[0])
    path = ood.detector_path(tmp_path / "cnn_cpu.keras")
    assert path.name == "cnn_cpu.ood.npz"
    loaded = ood.FeatureDetector.load(detector.save(path))
    assert loaded.threshold == detector.threshold
    assert np.array_equal(loaded.distances(train[:10]), detector.distances(train[:10]))


def test_check_image_joins_both_checks_and_says_why():
    rng = np.random.default_rng(4)
    means, _, sample = _gaussian_features(rng)
    train, labels = sample(500)
    detector = ood.fit_feature_detector(train, labels, sample(200)[0])
    scan = _rgb(scan_gray(128))
    assert ood.check_image(scan).looks_like_mri
    assert ood.check_image(scan).distance is None
    near = ood.check_image(scan, means[1:2], detector)
    assert near.looks_like_mri and near.distance < near.threshold
    far = ood.check_image(scan, means[1:2] + 50.0, detector)
    assert not far.looks_like_mri
    assert "far from every class" in far.reasons[0] and f"{far.threshold:.1f}" in far.reasons[0]
    photo = ood.check_image(not_mri_image("colour photo"), means[1:2] + 50.0, detector)
    assert len(photo.reasons) >= 2, "both kinds of reason are given"


# --- the feature detector on a tiny real model --------------------------------------------


@pytest.fixture(scope="module")
def fast_cnn():
    import keras
    from app_models import fast_models_dir

    folder = fast_models_dir()
    path = folder / "cnn_fast.keras"
    return keras.models.load_model(path, compile=False), ood.FeatureDetector.load(
        ood.detector_path(path)
    )


def test_the_features_are_what_the_last_layer_reads(fast_cnn):
    import keras

    model, detector = fast_cnn
    features = ood.feature_model(model)(np.zeros((2, 64, 64, 3), np.float32))
    dense = model.get_layer(ood.FEATURE_LAYER_INPUT)
    assert features.shape == (2, dense.kernel.shape[0])
    logits = keras.ops.matmul(features, dense.kernel) + dense.bias
    probabilities = keras.ops.softmax(logits)
    assert np.allclose(probabilities, model(np.zeros((2, 64, 64, 3), np.float32)), atol=1e-5)
    assert detector.means.shape == (4, dense.kernel.shape[0])


def test_the_saved_detector_was_fitted_on_these_validation_scans(fast_cnn):
    from app_models import fast_settings

    from mri_course.data.locate import dataset_root
    from mri_course.data.survey import survey_dataset

    model, detector = fast_cnn
    settings = fast_settings()
    survey = survey_dataset(dataset_root(settings), settings.cache_dir, progress=False)
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    val = detector.distances(ood.record_features(model, splits.val))
    assert np.isfinite(detector.threshold) and detector.threshold > 0
    assert detector.threshold == pytest.approx(np.quantile(val, ood.FEATURE_QUANTILE))


def test_a_detector_serves_only_the_model_file_it_was_fitted_for(tmp_path):
    rng = np.random.default_rng(3)
    _, _, sample = _gaussian_features(rng)
    train, labels = sample(200)
    model = tmp_path / "cnn_cpu.keras"
    model.write_bytes(b"weights, version 1")
    fitted = ood.fit_feature_detector(
        train, labels, sample(50)[0], model_sha256=sha256_of_file(model)
    )
    assert ood.detector_for(model) == (None, "no cnn_cpu.ood.npz beside the model")
    fitted.save(ood.detector_path(model))
    found, note = ood.detector_for(model)
    assert note == "" and found.threshold == fitted.threshold and found.quantile == 0.99
    model.write_bytes(b"weights, version 2: trained again")
    found, note = ood.detector_for(model)
    assert found is None and "another version of the model file" in note
