"""HeadCrop: the layer that zooms each scan to its head, inside the model."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from mri_course.models.cnn import build_compact_cnn  # noqa: E402
from mri_course.models.framing import HeadCrop  # noqa: E402


def head(size: int, radius_y: float, radius_x: float, centre=None) -> np.ndarray:
    """An oval 'head' with a darker inner structure on black, RGB in 0..255."""
    cy, cx = centre or ((size - 1) / 2, (size - 1) / 2)
    y, x = np.mgrid[:size, :size]
    inside = ((y - cy) / radius_y) ** 2 + ((x - cx) / radius_x) ** 2 <= 1
    core = ((y - cy) / (radius_y / 3)) ** 2 + ((x - cx - radius_x / 4) / (radius_x / 4)) ** 2 <= 1
    grey = np.where(inside, 180.0, 0.0) - np.where(core, 100.0, 0.0)
    return np.repeat(grey[..., None], 3, axis=-1).astype("float32")


def crop(images, **settings) -> np.ndarray:
    return np.asarray(HeadCrop(**settings)(np.asarray(images, dtype="float32")))


def test_a_head_that_fills_its_frame_passes_through_unchanged():
    image = head(64, 33, 33)  # touches every edge
    assert np.abs(crop(image[None])[0] - image).max() < 1e-3


def test_a_blank_image_stays_blank():
    assert crop(np.zeros((1, 32, 32, 3))).max() == 0


def test_the_zoom_matches_tensorflows_resize_of_the_box():
    """A head spanning rows and columns 32..95 of a 128 frame (margin 0) is zoomed 2x: the
    inside of the result is ``tf.image.resize`` of that box (same half-pixel convention)."""
    image = np.zeros((128, 128, 3), "float32")
    rng = np.random.default_rng(0)
    image[32:96, 32:96] = rng.uniform(50, 255, (64, 64, 3))
    zoomed = crop(image[None], margin=0.0)[0]
    expected = tf.image.resize(image[32:96, 32:96], (128, 128), method="bilinear").numpy()
    assert np.abs(zoomed[2:-2, 2:-2] - expected[2:-2, 2:-2]).max() < 1e-2


def test_the_same_head_framed_differently_gives_the_same_input():
    """The framing shortcut, removed: a small head with a wide black margin and the same
    head filling the frame become nearly the same image."""
    small = head(128, 40, 32)  # head 80 px tall in 128: a wide margin
    large = head(128, 62, 49.6)  # the same oval, filling the frame
    before = np.abs(small - large).mean()
    after = np.abs(crop(small[None]) - crop(large[None])).mean()
    assert after < before / 5, (before, after)


def test_gradients_reach_the_pixels():
    layer = HeadCrop()
    image = tf.constant(head(32, 10, 8)[None])
    with tf.GradientTape() as tape:
        tape.watch(image)
        total = tf.reduce_sum(layer(image))
    gradient = tape.gradient(total, image).numpy()
    assert np.abs(gradient).sum() > 0
    assert gradient[0, 0, 0].sum() == 0  # a corner outside the head's box plays no part


def test_a_model_with_the_layer_saves_and_loads_with_the_same_answers(tmp_path):
    model = build_compact_cnn(32, widths=(4, 8), head_crop=True)
    path = tmp_path / "framed.keras"
    model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    images = np.stack([head(32, 10, 8), head(32, 15, 15)])
    assert loaded.get_layer("head_crop").get_config()["threshold"] == 0.1
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0))


def test_an_image_without_a_batch_axis_is_refused_in_words():
    with pytest.raises(ValueError, match="add a batch axis"):
        HeadCrop()(np.zeros((32, 32, 3), "float32"))


@pytest.mark.parametrize(
    "settings, named",
    [
        ({"threshold": 0}, "threshold"),
        ({"min_share": 1.5}, "min_share"),
        ({"margin": 0.5}, "margin"),
    ],
)
def test_bad_settings_are_refused_by_name(settings, named):
    with pytest.raises(ValueError, match=named):
        HeadCrop(**settings)


def test_a_map_of_the_zoomed_image_moves_back_onto_the_image_as_given():
    """to_input_frame undoes the zoom: a smooth image inside the head's box comes back where
    it was, and what the network never saw (outside the box) is 0."""
    image = np.zeros((1, 128, 128, 3), "float32")
    y, x = np.mgrid[32:96, 32:96]
    image[0, 32:96, 32:96] = (60 + y + x)[..., None]  # a smooth ramp: bilinear is exact
    layer = HeadCrop(margin=0.0)
    zoomed = np.asarray(layer(image))[..., 0]
    back = np.asarray(layer.to_input_frame(zoomed, image))
    assert back.shape == (1, 128, 128)
    np.testing.assert_allclose(back[0, 34:94, 34:94], image[0, 34:94, 34:94, 0], atol=0.05)
    assert np.abs(back[0, :30]).max() == 0 and np.abs(back[0, :, 98:]).max() == 0


def test_the_round_trip_holds_for_an_off_centre_head_whose_box_leaves_the_frame():
    """Default margin, a head against the right edge: its square reaches past the frame,
    where the zoom reads black, and still the map comes back where the head is."""
    image = np.zeros((1, 128, 128, 3), "float32")
    y, x = np.mgrid[20:60, 70:128]
    image[0, 20:60, 70:128] = (40 + 2 * y + x)[..., None]
    layer = HeadCrop()
    back = np.asarray(layer.to_input_frame(np.asarray(layer(image))[..., 0], image))
    np.testing.assert_allclose(back[0, 23:57, 73:125], image[0, 23:57, 73:125, 0], atol=0.1)
    assert np.abs(back[0, 64:]).max() == 0 and np.abs(back[0, :, :64]).max() == 0


def test_grad_cam_of_a_head_cropping_model_lies_on_the_image_as_given():
    """Grad-CAM's feature maps see the zoomed head: its map must be moved back. Compared
    with the same network fed the zoomed image by hand, whose map is then moved back."""
    from mri_course.models.framing import head_crop_of
    from mri_course.saliency.maps import gradcam_map

    cropping = build_compact_cnn(64, widths=(4, 8), head_crop=True)
    plain = build_compact_cnn(64, widths=(4, 8))
    plain.set_weights(cropping.get_weights())
    images = np.stack([head(64, 14, 11, centre=(20, 40)), head(64, 20, 16)])
    layer = head_crop_of(cropping)
    assert layer is not None and head_crop_of(plain) is None
    zoomed = np.asarray(layer(images))
    expected = layer.to_input_frame(gradcam_map(plain, zoomed, [0, 2]), images)
    got = gradcam_map(cropping, images, [0, 2]).numpy()
    np.testing.assert_allclose(got, np.asarray(expected), atol=1e-4 * np.abs(got).max())
    assert np.abs(got[0, 40:]).max() == 0  # the first head sits in the top rows
