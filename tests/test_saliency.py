"""Saliency: the brief's map, the better methods, the region summary and the trust measurements.

Every test runs real Keras models: untrained ones where only shapes and plumbing matter,
and a small CNN trained for a few seconds on synthetic scans (whose lesions are known)
where the maps must mean something.
"""

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf
from scipy import ndimage

from mri_course.data.release import CLASS_NAMES
from mri_course.data.synthetic import render_scan
from mri_course.models.cnn import build_compact_cnn
from mri_course.models.transfer import XCEPTION_LAST_CONV, build_transfer_model
from mri_course.saliency.maps import (
    gradcam_channel_weights,
    gradcam_map,
    logit_model,
    resolve_classes,
    saliency_map,
    saliency_maps,
    smoothgrad_map,
    vanilla_gradient_map,
)
from mri_course.saliency.mask import brain_mask, circular_mask
from mri_course.saliency.names import METHODS, REGIONS
from mri_course.saliency.overlay import (
    COLOURED_FLOOR,
    SaliencyMap,
    colour_legend,
    colour_name,
    display_map,
    overlay,
)
from mri_course.saliency.summary import EmptySaliencyError, region_labels, region_summary
from mri_course.saliency.trust import (
    pointing_game,
    randomisation_stages,
    sanity_check,
    trained_copy,
)

SIZE = 64


def synthetic_scans(per_class: int, seed: int):
    """Synthetic scans rendered in memory: images (n, 64, 64, 3), labels, lesion masks."""
    rng = np.random.default_rng(seed)
    images, labels, masks = [], [], []
    for _ in range(per_class):
        for index, label in enumerate(CLASS_NAMES):
            gray, mask = render_scan(label, SIZE, rng)
            images.append(np.repeat(gray[..., np.newaxis], 3, axis=-1))
            labels.append(index)
            masks.append(mask)
    return np.array(images, dtype="float32"), np.array(labels), masks


@pytest.fixture(scope="module")
def trained_cnn():
    """The compact CNN, three blocks (an 8x8 last feature map at 64 px), trained for 12
    epochs on 200 synthetic scans: about ten seconds, and it finds the lesions."""
    images, labels, _ = synthetic_scans(50, seed=1)
    keras.utils.set_random_seed(1)
    model = build_compact_cnn(SIZE, widths=(16, 32, 64), dropout=0.0)
    model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy")
    model.fit(images, labels, epochs=12, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def test_scans():
    return synthetic_scans(12, seed=101)


@pytest.fixture(scope="module")
def untrained_cnn():
    keras.utils.set_random_seed(0)
    return build_compact_cnn(SIZE)


@pytest.fixture(scope="module")
def xception():
    keras.utils.set_random_seed(0)
    return build_transfer_model(72, weights=None)


def _reloaded(model, folder):
    path = folder / f"{model.name}.keras"
    model.save(path)
    return keras.models.load_model(path)


# --- the core: scores and gradients -----------------------------------------------------


def test_logit_model_gives_the_scores_the_softmax_turns_into_probabilities(untrained_cnn):
    images = np.random.default_rng(0).uniform(0, 255, (3, SIZE, SIZE, 3)).astype("float32")
    logits = logit_model(untrained_cnn)(images)
    assert np.allclose(tf.nn.softmax(logits), untrained_cnn(images), atol=1e-6)
    assert not np.allclose(logits, untrained_cnn(images), atol=1e-3)


def test_gradient_map_has_one_non_negative_value_per_pixel(untrained_cnn):
    images = np.random.default_rng(1).uniform(0, 255, (2, SIZE, SIZE, 3)).astype("float32")
    maps = np.asarray(vanilla_gradient_map(logit_model(untrained_cnn), images, [0, 3]))
    assert maps.shape == (2, SIZE, SIZE) and maps.dtype == np.float32
    assert maps.min() >= 0 and maps.max() > 0
    assert not np.allclose(maps[0], vanilla_gradient_map(logit_model(untrained_cnn), images, 3)[0])


def test_logit_and_softmax_gradients_differ_on_a_saturated_prediction(trained_cnn, test_scans):
    sure = trained_copy(trained_cnn)  # five times the logits: the same ranking, surer
    head = sure.get_layer("probabilities")
    head.set_weights([5 * weight for weight in head.get_weights()])
    image = test_scans[0][:1]
    probabilities = np.asarray(sure(image))[0]
    assert probabilities.max() > 0.99999  # a saturated softmax
    label = [int(probabilities.argmax())]
    of_softmax = np.asarray(vanilla_gradient_map(sure, image, label))
    of_logit = np.asarray(vanilla_gradient_map(logit_model(sure), image, label))
    assert of_softmax.max() < 1e-3 * of_logit.max()  # the softmax's gradient has vanished


# --- masks and the brief's recipe -------------------------------------------------------


def _off_centre_head():
    """A synthetic head in the top left of a 128 px black image, where the head is, and a
    black cavity inside its brain."""
    gray, _ = render_scan("notumor", 64, np.random.default_rng(5))
    canvas = np.zeros((128, 128), dtype=np.uint8)
    canvas[2:66, 2:66] = gray
    head = np.zeros((128, 128), dtype=bool)
    head[2:66, 2:66] = ndimage.binary_fill_holes(gray > 0)
    cavity = (slice(40, 45), slice(20, 25))
    canvas[cavity] = 0
    return np.repeat(canvas[..., np.newaxis], 3, axis=-1).astype("float32"), head, cavity


def test_the_briefs_circle_misses_an_off_centre_scan_and_the_computed_mask_follows_it():
    image, head, cavity = _off_centre_head()
    circle = circular_mask(128, 128)
    assert (circle & head).sum() / head.sum() < 0.75  # a quarter of the head is cut off
    assert (circle & ~head).sum() / circle.sum() > 0.7  # and it is mostly air
    brain = brain_mask(image)
    assert (brain & ~head).sum() == 0  # nothing outside the head
    assert 0.6 < brain.sum() / head.sum() < 0.95  # the head without its skull ring
    assert brain[cavity].all()  # a dark hole inside the brain is still brain
    centred = brain_mask(np.roll(image, (40, 40), axis=(0, 1)))
    assert np.array_equal(np.roll(brain, (40, 40), axis=(0, 1)), centred)


def test_display_map_is_the_briefs_normalise_threshold_blur():
    rng = np.random.default_rng(2)
    raw = rng.uniform(0, 5, (40, 40))
    mask = circular_mask(40, 40)
    sharp = display_map(raw, mask, blur_sigma=0)
    assert sharp.max() == 1.0 and not sharp[~mask].any()
    assert abs((sharp[mask] > 0).mean() - 0.2) < 0.01  # the top 20% of the brain is kept
    spike = np.zeros((40, 40))
    spike[20, 20] = 1.0
    blurred = display_map(spike, np.ones((40, 40), bool), threshold_percentile=0)
    rows, cols = np.nonzero(blurred > 1e-12)
    assert (np.ptp(rows) + 1, np.ptp(cols) + 1) == (11, 11)  # OpenCV's 11 x 11 kernel


def test_the_brief_method_is_the_original_recipe(untrained_cnn, test_scans):
    image = test_scans[0][0]
    brief = saliency_map(untrained_cnn, image, "brief").display
    label = resolve_classes(untrained_cnn, image)[0]
    gradient = vanilla_gradient_map(untrained_cnn, image[np.newaxis], [label])[0]  # softmax
    assert np.allclose(brief, display_map(gradient, circular_mask(SIZE, SIZE)))


# --- Grad-CAM and SmoothGrad on both models, built and loaded ---------------------------


def test_gradcam_works_on_the_cnn_and_the_flat_xception_also_after_loading(
    untrained_cnn, xception, tmp_path
):
    for model in (untrained_cnn, xception):
        size = model.input_shape[1]
        images = np.random.default_rng(3).uniform(0, 255, (2, size, size, 3)).astype("float32")
        maps = np.asarray(gradcam_map(model, images, [1, 2]))
        assert maps.shape == (2, size, size) and maps.min() >= 0 and np.isfinite(maps).all()
        loaded = _reloaded(model, tmp_path)
        assert np.allclose(gradcam_map(loaded, images, [1, 2]), maps, atol=1e-5)
    features, weights = gradcam_channel_weights(xception, images, [0, 0], XCEPTION_LAST_CONV)
    assert features.shape == (2, 3, 3, 2048) and weights.shape == (2, 2048)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_gives_the_same_map_for_a_loaded_model(
    trained_cnn, test_scans, method, tmp_path
):
    images = test_scans[0][:2]
    loaded = _reloaded(trained_cnn, tmp_path)
    before, after = (
        saliency_maps(trained_cnn, images, method),
        saliency_maps(loaded, images, method),
    )
    for original, reloaded in zip(before, after, strict=True):
        assert original.raw.shape == (SIZE, SIZE) and original.raw.max() > 0
        assert np.allclose(original.raw, reloaded.raw, rtol=1e-4, atol=1e-6 * original.raw.max())


def _roughness(maps: np.ndarray) -> float:
    """Mean jump between neighbouring pixels, relative to the mean value."""
    return float(np.abs(np.diff(maps, axis=-1)).mean() / maps.mean())


def test_smoothgrad_is_smoother_than_the_plain_gradient_and_reproducible(trained_cnn, test_scans):
    images, labels, _ = test_scans
    scores = logit_model(trained_cnn)
    plain = np.asarray(vanilla_gradient_map(scores, images[:4], labels[:4]))
    smooth = np.asarray(smoothgrad_map(scores, images[:4], labels[:4], samples=8))
    assert _roughness(smooth) < 0.7 * _roughness(plain)
    assert np.array_equal(smooth, smoothgrad_map(scores, images[:4], labels[:4], samples=8))


# --- the region summary -----------------------------------------------------------------

PLANTED = {
    "upper left": (12, 12),
    "upper right": (12, 51),
    "lower left": (51, 12),
    "lower right": (51, 51),
    "centre": (32, 32),
}


def _planted(region: str) -> SaliencyMap:
    y, x = np.mgrid[:SIZE, :SIZE]
    row, col = PLANTED[region]
    raw = np.exp(-((y - row) ** 2 + (x - col) ** 2) / (2 * 3.0**2))
    mask = np.ones((SIZE, SIZE), dtype=bool)
    return SaliencyMap("gradcam", 0, raw, mask, display_map(raw, mask), 80.0)


@pytest.mark.parametrize("region", REGIONS)
def test_region_summary_finds_a_planted_peak_and_its_masses_sum_to_one(region):
    summary = region_summary(_planted(region)).to_dict()
    assert list(summary) == [
        "method",
        "dominant_region",
        "mass_by_region",
        "peak_region",
        "peak_value",
        "brain_area_above_threshold",
        "threshold_percentile",
    ]
    assert list(summary["mass_by_region"]) == list(REGIONS)
    assert abs(sum(summary["mass_by_region"].values()) - 1.0) < 1e-9
    assert summary["dominant_region"] == region and summary["peak_region"] == region
    assert summary["mass_by_region"][region] > 0.9
    assert 0 < summary["peak_value"] <= 1 and summary["threshold_percentile"] == 80.0
    assert 0.02 < summary["brain_area_above_threshold"] < 0.2  # the blob, not the tails


def test_regions_are_disjoint_and_cover_the_image_in_image_coordinates():
    labels = region_labels(SIZE, SIZE)
    assert set(np.unique(labels)) == set(range(len(REGIONS)))
    assert REGIONS[labels[0, 0]] == "upper left" and REGIONS[labels[0, -1]] == "upper right"
    assert (
        REGIONS[labels[-1, 0]] == "lower left" and REGIONS[labels[SIZE // 2, SIZE // 2]] == "centre"
    )


def test_an_empty_map_has_no_summary():
    empty = SaliencyMap(
        "gradcam", 0, np.zeros((8, 8)), np.ones((8, 8), bool), np.zeros((8, 8)), 80.0
    )
    with pytest.raises(EmptySaliencyError, match="zero everywhere"):
        region_summary(empty)


def test_the_explanation_module_accepts_the_summary_and_the_legend(trained_cnn, test_scans):
    from mri_course.explain import PredictionFacts

    image = test_scans[0][0]
    summary = region_summary(saliency_map(trained_cnn, image, "gradcam"))
    facts = PredictionFacts.from_prediction(
        np.asarray(trained_cnn(image[np.newaxis]))[0],
        CLASS_NAMES,
        summary,
        colour_legend(),
        "test_cnn",
    )
    assert facts.dominant_region == summary.dominant_region


# --- overlay and legend -----------------------------------------------------------------


def test_overlay_is_a_uint8_image_coloured_only_above_the_threshold():
    scan = np.full((SIZE, SIZE, 3), 100.0)
    planted = _planted("lower right")
    drawn = overlay(scan, planted.display)
    assert drawn.shape == (SIZE, SIZE, 3) and drawn.dtype == np.uint8
    uncoloured = planted.display < COLOURED_FLOOR
    assert (drawn[uncoloured] == 100).all() and (drawn[~uncoloured] != 100).any(axis=-1).all()
    brief_style = overlay(scan, planted.display, heat_weight=0.7, colour_everywhere=True)
    assert (brief_style[uncoloured] != 100).any(axis=-1).all()  # the brief's dark blue wash


def test_the_legend_names_the_colours_the_colour_map_draws():
    legend = colour_legend()
    assert legend.startswith("dark red = strongest")
    assert "dark blue = weakest" in legend and "uncoloured = below the 80th percentile" in legend
    jet = matplotlib.colormaps["jet"]
    assert colour_name(jet(1.0)) == "dark red" and colour_name(jet(0.0)) == "dark blue"
    order = legend.split("from strong to weak: ")[1]
    assert order.index("yellow") < order.index("cyan")  # the brief's "light cyan" is weak
    assert "covers everything below" in colour_legend(colour_everywhere=True)


# --- trust: the sanity check and the pointing game --------------------------------------


def test_randomisation_goes_from_the_head_down_the_blocks(trained_cnn, xception):
    assert randomisation_stages(trained_cnn) == [
        ("head", ["probabilities"]),
        ("block3", ["block3_conv1", "block3_bn1", "block3_conv2", "block3_bn2"]),
        ("block2", ["block2_conv1", "block2_bn1", "block2_conv2", "block2_bn2"]),
    ]
    stages = randomisation_stages(xception)
    assert [name for name, _ in stages] == ["head", "block14", "block13"]
    assert stages[0][1] == ["head_dense", "probabilities"]


@pytest.mark.parametrize("method", ["gradient", "gradcam"])
def test_sanity_check_maps_change_when_the_model_is_randomised(trained_cnn, test_scans, method):
    weights = [w.copy() for w in trained_cnn.get_weights()]
    check = sanity_check(trained_cnn, test_scans[0][:6], method)
    assert check.stages == ("head", "block3", "block2") and check.images == 6
    assert check.correlations[-1] < 0.5
    assert all(
        np.array_equal(a, b) for a, b in zip(weights, trained_cnn.get_weights(), strict=True)
    )


def test_pointing_game_grad_cam_beats_chance_on_synthetic_lesions(trained_cnn, test_scans):
    images, labels, masks = test_scans
    has_lesion = labels != CLASS_NAMES.index("notumor")
    assert (resolve_classes(trained_cnn, images) == labels).mean() > 0.85
    game = pointing_game(
        trained_cnn,
        images[has_lesion],
        [masks[k] for k in np.flatnonzero(has_lesion)],
        "gradcam",
        labels[has_lesion],
    )
    assert game.images == 36 and 0.03 < game.chance < 0.1
    assert game.hit_rate >= 3 * game.chance  # measured: 0.56 against 0.06


def test_pointing_game_refuses_a_scan_without_a_lesion(untrained_cnn, test_scans):
    images, _, masks = test_scans
    with pytest.raises(ValueError, match="empty"):
        pointing_game(untrained_cnn, images[:1], [np.zeros((SIZE, SIZE), bool)], "gradcam")
