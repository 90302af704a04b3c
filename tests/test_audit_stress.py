"""Stress tests: each perturbation does what it says, and the runner counts right."""

import keras
import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import accuracy_score

from mri_course.audit.stress import (
    TARGET_KEYS,
    Perturbation,
    StressResult,
    border_crop,
    brightness,
    contrast,
    default_perturbations,
    flip_horizontal,
    flip_vertical,
    gaussian_noise,
    jpeg,
    low_resolution,
    predict_perturbed,
    refit,
    rotate,
    run_stress,
    zoom_out,
)
from mri_course.data.decode import load_rgb
from mri_course.data.index import ImageRecord
from mri_course.data.pipeline import prepare_pixels
from mri_course.data.release import CLASS_NAMES

SIZE = 32  # the tiny model's input side


def _scan(height=90, width=70, seed=0) -> np.ndarray:
    """A grey, brain-like test image: a textured bright ellipse on black, off centre."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:height, :width]
    inside = ((rows - 0.45 * height) / (0.4 * height)) ** 2 + (
        (cols - 0.55 * width) / (0.35 * width)
    ) ** 2 < 1
    gray = np.where(inside, rng.integers(60, 230, (height, width)), 0).astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


# --- every perturbation -----------------------------------------------------------------


@pytest.mark.parametrize("perturbation", default_perturbations(SIZE), ids=lambda p: p.key)
def test_each_perturbation_keeps_the_layout_and_leaves_its_input_alone(perturbation):
    image = _scan(150, 120)  # larger than every resolution setting, so each one bites
    before = image.copy()
    out = perturbation.apply(image)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    expected = (SIZE, SIZE, 3) if perturbation.family == "resampling" else image.shape
    assert out.shape == expected
    assert np.array_equal(image, before), "a perturbation must not write into its input"
    assert not np.shares_memory(out, image)
    assert np.array_equal(out, perturbation.apply(image)), "a perturbation must be pure"
    if perturbation.family != "resampling":
        assert not np.array_equal(out, image), f"{perturbation.key} changed nothing"


def test_the_catalogue_has_two_or_three_strengths_per_change_and_the_targets():
    found = default_perturbations(128)
    keys = [p.key for p in found]
    assert len(set(keys)) == len(keys)
    assert set(TARGET_KEYS) <= set(keys)
    families = {}
    for p in found:
        families.setdefault(p.family, []).append(p)
    expected = {
        "border crop",
        "zoom out",
        "rotation",
        "flip",
        "brightness",
        "contrast",
        "JPEG",
        "Gaussian noise",
        "resolution",
        "resampling",
    }
    assert set(families) == expected
    assert all(2 <= len(members) <= 3 for members in families.values())


def test_identity_settings_change_nothing():
    image = _scan()
    assert np.array_equal(border_crop(image, 0.0), image)
    assert np.array_equal(zoom_out(image, 0.0), image)
    assert np.array_equal(rotate(image, 0), image)
    assert np.array_equal(rotate(image, 360), image)
    assert np.array_equal(brightness(image, 1.0), image)
    assert np.array_equal(contrast(image, 1.0), image)
    assert np.array_equal(gaussian_noise(image, 0.0), image)
    assert np.array_equal(low_resolution(image, 90), image)


def test_flips_are_involutions_that_mirror():
    image = _scan()
    for flip, axis in ((flip_horizontal, 1), (flip_vertical, 0)):
        once = flip(image)
        assert not np.array_equal(once, image)
        assert np.array_equal(once, np.flip(image, axis=axis))
        assert np.array_equal(flip(once), image)


def test_a_15_percent_crop_removes_the_border_and_keeps_the_centre():
    image = np.full((200, 160, 3), 255, dtype=np.uint8)  # a white frame 15 rows / 12 columns
    centre = _scan(170, 136, seed=1) // 2  # the central 85%, values up to 115
    image[15:185, 12:148] = centre
    cropped = border_crop(image, 0.15)
    assert cropped.shape == image.shape
    assert cropped.max() <= centre.max(), "part of the white frame survived the crop"
    expected = np.asarray(Image.fromarray(centre).resize((160, 200), Image.Resampling.BILINEAR))
    assert np.array_equal(cropped, expected)
    assert border_crop(image, 0.10).max() == 255  # a milder crop keeps some of the frame


def test_zoom_out_adds_a_black_margin_of_the_asked_width():
    image = np.full((200, 200, 3), 255, dtype=np.uint8)
    zoomed = zoom_out(image, 0.15)  # 230 px with 15 px of black at each edge, back to 200
    margin = int(15 * 200 / 230)  # 13 px
    assert zoomed[: margin - 1].max() == 0 and zoomed[:, -(margin - 1) :].max() == 0
    assert zoomed[margin + 2 : -margin - 2, margin + 2 : -margin - 2].min() == 255
    assert zoom_out(image, 0.05)[margin - 2, 20:-20].min() == 255  # milder: a thinner margin


def test_rotation_turns_counter_clockwise_and_fills_with_black():
    image = _scan(64, 64)
    assert np.array_equal(rotate(image, 90), np.rot90(image))
    turned = rotate(np.full((64, 64, 3), 255, dtype=np.uint8), 45)
    assert turned[0, 0].max() == 0 and turned[32, 32].min() == 255


def test_intensity_changes_go_the_asked_way():
    image = _scan()
    inside = image > 0
    darker, brighter = brightness(image, 0.5), brightness(image, 1.3)
    assert np.abs(darker.astype(int) - image // 2).max() <= 1
    assert brighter[inside].mean() > image[inside].mean()
    assert brighter[~inside].max() == 0, "brightness must keep the black background black"
    assert contrast(image, 0.6).std() < image.std() < contrast(image, 1.8).std()


def test_jpeg_and_noise_degrade_with_strength_and_noise_is_seeded():
    image = _scan()

    def error(out):
        return np.abs(out.astype(int) - image).mean()

    assert 0 < error(jpeg(image, 75)) < error(jpeg(image, 20))
    assert 0 < error(gaussian_noise(image, 5)) < error(gaussian_noise(image, 20))
    assert np.array_equal(gaussian_noise(image, 10, seed=3), gaussian_noise(image, 10, seed=3))
    assert not np.array_equal(gaussian_noise(image, 10, seed=3), gaussian_noise(image, 10, seed=4))
    noisy = gaussian_noise(image, 10)
    assert np.array_equal(noisy[..., 0], noisy[..., 2]), "grey scans must stay grey"
    with pytest.raises(ValueError):
        jpeg(image, 0)


def test_low_resolution_loses_fine_detail():
    stripes = np.zeros((64, 64, 3), dtype=np.uint8)
    stripes[:, ::2] = 255
    assert low_resolution(stripes, 16).std() < 0.2 * stripes.std()
    assert low_resolution(stripes, 32).shape == stripes.shape


@pytest.mark.parametrize("shape", [(64, 64), (90, 70), (50, 130), (20, 25), (201, 251)])
@pytest.mark.parametrize("size", [32, 128])
def test_refit_with_the_pipeline_method_is_the_pipeline_pixel_for_pixel(shape, size):
    image = _scan(*shape, seed=sum(shape))
    fitted = refit(image, size, "pipeline")
    assert fitted.shape == (size, size, 3)
    assert np.array_equal(prepare_pixels(fitted, size), prepare_pixels(image, size))


def test_resizing_without_antialiasing_loses_thin_lines():
    lines = np.zeros((512, 512, 3), dtype=np.uint8)
    lines[:, ::4] = 255  # one bright column in four
    kept = refit(lines, 128, "pipeline")
    assert 50 < kept.mean() < 80  # antialiased: the lines average to about 255 / 4
    for method in ("bilinear_no_antialias", "nearest"):
        assert refit(lines, 128, method).max() == 0, f"{method} should alias the lines away"
    lanczos = refit(lines, 128, "lanczos")
    assert 50 < lanczos.mean() < 80
    assert set(np.unique(refit(_scan(), 32, "nearest"))) <= set(np.unique(_scan()))


# --- the runner -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model():
    """A small random CNN whose answers depend on position and intensity, so perturbations
    change some of them."""
    keras.utils.set_random_seed(7)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 5, strides=2, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(len(CLASS_NAMES), activation="softmax")(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    root = tmp_path_factory.mktemp("stress")
    found = []
    for k in range(14):
        label = CLASS_NAMES[k % len(CLASS_NAMES)]
        relpath = f"Testing/{label}/scan_{k}.png"
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        image = _scan(60 + 3 * k, 50 + 5 * (k % 4), seed=k)
        Image.fromarray(image).save(root / relpath)
        found.append(ImageRecord(relpath=relpath, split="Testing", label=label, root=root))
    return tuple(found)


def _expected(model, records, transform):
    batch = np.stack([prepare_pixels(transform(load_rgb(r.path)), SIZE) for r in records])
    return model.predict(batch, verbose=0).argmax(axis=1)


def test_run_stress_bookkeeping_matches_a_direct_count(tiny_model, records):
    perturbations = default_perturbations(SIZE)
    result = run_stress(tiny_model, records, perturbations, batch_size=5)
    labels = np.array([r.label_index for r in records])
    base = _expected(tiny_model, records, lambda image: image)
    base_accuracy = accuracy_score(labels, base)
    assert result.records == records and np.array_equal(result.labels, labels)
    assert np.array_equal(result.predicted, base)
    assert result.accuracy == pytest.approx(base_accuracy)
    assert result.keys == tuple(p.key for p in perturbations)
    shares = []
    for perturbation in perturbations:
        outcome = result.outcome(perturbation.key)
        after = _expected(tiny_model, records, perturbation.apply)
        assert np.array_equal(outcome.predicted, after), perturbation.key
        assert outcome.accuracy == pytest.approx(accuracy_score(labels, after))
        assert outcome.accuracy_change == pytest.approx(
            accuracy_score(labels, after) - base_accuracy
        )
        assert outcome.changed_share == pytest.approx(np.mean(after != base))
        right, right_after = base == labels, after == labels
        assert outcome.broken == np.sum(right & ~right_after)
        assert outcome.fixed == np.sum(~right & right_after)
        assert outcome.accuracy_change * len(records) == pytest.approx(
            outcome.fixed - outcome.broken
        )
        assert outcome.summary()["changed"] == np.sum(after != base)
        shares.append(outcome.changed_share)
    assert any(0 < share < 1 for share in shares), "the tiny model should react to some changes"

    changed = result.changed()
    assert changed.shape == (len(perturbations), len(records))
    assert np.array_equal(changed.mean(axis=1), shares)
    assert np.array_equal(result.fragile(), changed.any(axis=0))
    for index, entry in enumerate(result.per_image()):
        assert entry["relpath"] == records[index].relpath
        assert entry["predicted"] == CLASS_NAMES[base[index]]
        assert set(entry["changed_by"]) == {
            p.key for p, row in zip(perturbations, changed, strict=True) if row[index]
        }
        for key, name in entry["changed_by"].items():
            assert name == CLASS_NAMES[result.outcome(key).predicted[index]]
    assert not result.predicted.flags.writeable


def test_a_subset_recomputes_its_summaries(tiny_model, records):
    result = run_stress(tiny_model, records, default_perturbations(SIZE)[:6], batch_size=8)
    chosen = records[9:2:-2]
    part = result.subset(chosen)
    rows = [records.index(r) for r in chosen]
    labels = np.array([r.label_index for r in chosen])
    assert part.records == tuple(chosen)
    assert np.array_equal(part.predicted, result.predicted[rows])
    assert part.accuracy == pytest.approx(accuracy_score(labels, result.predicted[rows]))
    for whole, piece in zip(result.outcomes, part.outcomes, strict=True):
        after = whole.predicted[rows]
        assert np.array_equal(piece.predicted, after)
        assert piece.accuracy == pytest.approx(accuracy_score(labels, after))
        assert piece.changed_share == pytest.approx(np.mean(after != result.predicted[rows]))
    with pytest.raises(ValueError, match="not stress-tested"):
        result.subset(
            [ImageRecord("Testing/glioma/elsewhere.png", "Testing", "glioma", records[0].root)]
        )


def test_predict_perturbed_puts_the_plain_images_first(tiny_model):
    images = [_scan(seed=k) for k in range(3)]
    flip = Perturbation("flip_vertical", "flip", "top-bottom", flip_vertical)
    predicted, confidence = predict_perturbed(tiny_model, images, [flip])
    assert predicted.shape == confidence.shape == (2, 3)
    plain = tiny_model.predict(np.stack([prepare_pixels(i, SIZE) for i in images]), verbose=0)
    assert np.array_equal(predicted[0], plain.argmax(axis=1))
    assert np.allclose(confidence[0], plain.max(axis=1), atol=1e-6)


def test_results_refuse_mismatched_or_duplicate_perturbations(records):
    flip = Perturbation("flip", "flip", "left-right", flip_horizontal)
    zeros = np.zeros((3, len(records)), dtype=int)
    with pytest.raises(ValueError, match="unique"):
        StressResult.build(records, zeros, zeros.astype(float), [flip, flip])
    with pytest.raises(ValueError, match="shape"):
        StressResult.build(records, zeros, zeros.astype(float), [flip])


# --- the real data ----------------------------------------------------------------------


@pytest.mark.real_data
def test_the_shipped_cnn_under_stress_on_real_clean_test_scans(real_root):
    from mri_course import load_settings
    from mri_course.data.survey import survey_dataset
    from mri_course.evaluation.predict import predict
    from mri_course.models.shipped import SHIPPED_CNN

    settings = load_settings()
    survey = survey_dataset(real_root, settings.cache_dir, progress=False)
    clean = survey.splits(0.15, 42).clean_test
    chosen = clean[:: len(clean) // 40][:40]
    model = keras.models.load_model(SHIPPED_CNN, compile=False)
    keys = ("border_crop_15", "rotation_10", "flip_horizontal", "resampling_nearest")
    perturbations = [p for p in default_perturbations(128) if p.key in keys]
    result = run_stress(model, chosen, perturbations)

    assert len(result.records) == 40 and result.keys == keys
    assert len({r.label for r in chosen}) >= 3
    # The plain answers are the evaluation's (tf.data) answers: the same pixels reach the model.
    evaluated = predict(model, chosen)
    assert np.array_equal(result.predicted, evaluated.predicted)
    assert np.allclose(result.confidence, evaluated.probabilities.max(axis=1), atol=1e-4)
    labels = np.array([r.label_index for r in chosen])
    for outcome in result.outcomes:
        assert outcome.predicted.shape == (40,) and set(outcome.predicted) <= {0, 1, 2, 3}
        assert 0 <= outcome.accuracy <= 1 and 0 <= outcome.changed_share <= 1
        assert outcome.accuracy == pytest.approx(accuracy_score(labels, outcome.predicted))
        assert outcome.accuracy_change == pytest.approx(outcome.accuracy - result.accuracy)
        assert outcome.changed_share == pytest.approx(
            np.mean(outcome.predicted != result.predicted)
        )
    entries = result.per_image()
    assert [e["relpath"] for e in entries] == [r.relpath for r in chosen]
    assert sum(bool(e["changed_by"]) for e in entries) == result.fragile().sum()
