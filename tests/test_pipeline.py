"""tf.data pipelines: same pixels as the Pillow path, augmentation on training data only."""

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from mri_course.data.decode import load_rgb
from mri_course.data.index import ImageRecord, index_dataset
from mri_course.data.pipeline import decode_file, make_dataset, prepare_pixels, resize_for_model


def _save(path, image: Image.Image, fmt: str, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def odd_files(tmp_path):
    """Files in the layouts the dataset and uploads contain."""
    rng = np.random.default_rng(0)
    gray = Image.fromarray(rng.integers(0, 255, (20, 30), dtype=np.uint8))
    rgba = np.dstack([rng.integers(0, 255, (20, 30, 3)), rng.integers(0, 255, (20, 30))])
    return [
        _save(tmp_path / "gray.jpg", gray, "JPEG", quality=90),
        _save(tmp_path / "rgb.jpg", gray.convert("RGB"), "JPEG", quality=90),
        _save(tmp_path / "png_named.jpg", gray, "PNG"),
        _save(tmp_path / "rgba.png", Image.fromarray(rgba.astype(np.uint8), "RGBA"), "PNG"),
        _save(
            tmp_path / "gray_alpha.png",
            Image.fromarray(rgba[..., [0, 3]].astype(np.uint8), "LA"),
            "PNG",
        ),
    ]


def test_tensorflow_decodes_like_pillow(odd_files, synthetic):
    paths = odd_files + [r.path for r in index_dataset(synthetic.root).records[::7]]
    for path in paths:
        expected = load_rgb(path).astype(int)
        decoded = decode_file(tf.constant(str(path))).numpy().astype(int)
        assert decoded.shape == expected.shape, path.name
        assert np.abs(decoded - expected).max() <= 1, path.name


def test_resize_keeps_the_aspect_ratio_and_pads_with_black():
    wide = np.full((50, 100, 3), 255, dtype=np.uint8)
    fitted = resize_for_model(tf.constant(wide), 64).numpy()
    assert fitted.shape == (64, 64, 3) and fitted.dtype == np.uint8
    assert fitted[:14].max() == 0 and fitted[-14:].max() == 0  # black bands above and below
    assert fitted[20:44].min() > 250


def test_prepare_pixels_matches_what_training_sees(synthetic):
    records = index_dataset(synthetic.root).records[:6]
    dataset = make_dataset(records, 64, batch_size=6, training=False, seed=0)
    images, _ = next(iter(dataset))
    for record, image in zip(records, images.numpy(), strict=True):
        assert np.abs(prepare_pixels(load_rgb(record.path), 64) - image).max() < 1e-3


def test_evaluation_data_is_plain_ordered_and_one_hot(synthetic):
    records = index_dataset(synthetic.root).in_split("Testing")
    dataset = make_dataset(records, 48, batch_size=5, training=False, seed=0)
    first = [(x.numpy(), y.numpy()) for x, y in dataset]
    second = [(x.numpy(), y.numpy()) for x, y in dataset]
    images = np.concatenate([x for x, _ in first])
    labels = np.concatenate([y for _, y in first])
    assert images.shape == (len(records), 48, 48, 3) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 255 and images.max() > 1  # not rescaled
    assert labels.argmax(axis=1).tolist() == [r.label_index for r in records]
    assert np.array_equal(labels.sum(axis=1), np.ones(len(records)))
    for (x1, y1), (x2, y2) in zip(first, second, strict=True):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)


def test_training_data_is_shuffled_each_epoch_and_augmented(synthetic):
    records = index_dataset(synthetic.root).in_split("Training")
    plain = make_dataset(records, 48, batch_size=len(records), training=False, seed=0)
    train = make_dataset(records, 48, batch_size=len(records), training=True, seed=0)
    plain_images, _ = next(iter(plain))
    epoch_one = next(iter(train))
    epoch_two = next(iter(train))
    order_one = epoch_one[1].numpy().argmax(axis=1)
    order_two = epoch_two[1].numpy().argmax(axis=1)
    assert not np.array_equal(order_one, order_two)
    assert sorted(order_one.tolist()) == sorted(r.label_index for r in records)
    # Augmented images are not any of the plain images.
    plain_flat = plain_images.numpy().reshape(len(records), -1)
    for image in epoch_one[0].numpy()[:5]:
        assert np.abs(plain_flat - image.reshape(1, -1)).mean(axis=1).min() > 0.5
    again = make_dataset(records, 48, batch_size=len(records), training=True, seed=0)
    assert np.array_equal(next(iter(again))[1].numpy().argmax(axis=1), order_one)


def test_an_empty_split_is_refused():
    with pytest.raises(ValueError, match="the split is empty"):
        make_dataset([], 64, 8, training=False, seed=0)


def test_records_must_point_at_files(tmp_path):
    missing = [ImageRecord("Training/glioma/gone.jpg", "Training", "glioma", tmp_path)]
    with pytest.raises(tf.errors.NotFoundError):
        next(iter(make_dataset(missing, 32, 1, training=False, seed=0)))


def test_the_robust_augmentation_keeps_black_black_and_the_range():
    from mri_course.data.augment import RandomGain, make_augmentation

    images = np.zeros((4, 32, 32, 3), dtype=np.float32)
    images[:, 8:24, 8:24] = 200.0
    gained = RandomGain(0.7, 1.4, seed=1)(images, training=True).numpy()
    assert np.all(gained[:, :8] == 0), "a gain keeps the black background black"
    assert gained.max() <= 255 and not np.allclose(gained[0], gained[1])
    assert np.array_equal(RandomGain(0.7, 1.4)(images, training=False), images)
    with pytest.raises(ValueError, match="lower <= upper"):
        RandomGain(1.4, 0.7)
    robust = make_augmentation(0, "robust")(images, training=True).numpy()
    assert robust.shape == images.shape and robust.min() >= 0 and robust.max() <= 255
    assert not np.array_equal(robust, images)
    names = [type(layer).__name__ for layer in make_augmentation(0, "robust").layers]
    assert {"RandomZoom", "RandomTranslation", "RandomRotation", "RandomGain"} <= set(names)


def test_an_image_too_thin_to_fit_is_refused_with_its_size():
    with pytest.raises(ValueError, match="4128 x 32 pixels is too thin to fit into 128 x 128"):
        prepare_pixels(np.zeros((32, 4128, 3), dtype=np.uint8), 128)
    assert prepare_pixels(np.zeros((32, 4096, 3), dtype=np.uint8), 128).shape == (128, 128, 3)
