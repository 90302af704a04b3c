"""tf.data input pipelines: read, decode, three channels, resize, cache, augment, prefetch.

The same steps as :func:`mri_course.data.decode.load_rgb`, written in TensorFlow ops so
they run in parallel inside ``tf.data`` while the model trains. Pixel values stay in
``0..255``: scaling belongs to the model (a ``Rescaling`` layer), so a saved model carries
its own preprocessing and the app cannot feed it differently from training.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from mri_course.data.augment import make_augmentation
from mri_course.data.index import ImageRecord
from mri_course.data.release import CLASS_NAMES

AUTOTUNE = tf.data.AUTOTUNE


def three_channels(image: tf.Tensor) -> tf.Tensor:
    """TensorFlow twin of :func:`~mri_course.data.decode.to_three_channels` (uint8 in/out)."""
    channels = tf.shape(image)[-1]

    def composite() -> tf.Tensor:  # gray+alpha or RGB+alpha, over black
        color = tf.cast(image[..., :-1], tf.float32)
        alpha = tf.cast(image[..., -1:], tf.float32)
        return tf.cast(tf.round(color * alpha / 255.0), tf.uint8)

    image = tf.cond(tf.equal(channels % 2, 0), composite, lambda: image)
    image = tf.cond(
        tf.equal(tf.shape(image)[-1], 1), lambda: tf.image.grayscale_to_rgb(image), lambda: image
    )
    image.set_shape([None, None, 3])
    return image


def decode_file(path: tf.Tensor) -> tf.Tensor:
    """Read and decode one file; the format is sniffed from its bytes, not its name.

    JPEGs (almost the whole dataset) cannot carry alpha, so libjpeg converts them straight
    to three channels, with the accurate inverse DCT that Pillow uses too (TensorFlow's
    default is a faster, coarser one). PNGs and GIFs may have alpha and go through
    :func:`three_channels`, which composites it over black as the Pillow path does.
    """
    data = tf.io.read_file(path)
    magic = tf.strings.substr(data, 0, 4)
    is_jpeg = tf.equal(tf.strings.substr(data, 0, 2), b"\xff\xd8")
    may_have_alpha = tf.logical_or(tf.equal(magic, b"\x89PNG"), tf.equal(magic, b"GIF8"))
    image = tf.case(
        [
            (is_jpeg, lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE")),
            (
                may_have_alpha,
                lambda: three_channels(tf.io.decode_image(data, expand_animations=False)),
            ),
        ],
        default=lambda: tf.io.decode_image(data, channels=3, expand_animations=False),
        exclusive=True,
    )
    image.set_shape([None, None, 3])
    return image


def resize_for_model(image: tf.Tensor, image_size: int) -> tf.Tensor:
    """Fit an image into ``image_size`` x ``image_size`` without distorting it.

    Scans come in 387 shapes; squashing a 201x251 slice into a square would change the
    anatomy's proportions, so the image is scaled to fit and padded with black (the MRI
    background). The result is rounded back to ``uint8``: four times less memory in the
    cache than floats, and exactly what :func:`prepare_pixels` gives the app.
    """
    fitted = tf.image.resize_with_pad(image, image_size, image_size, antialias=True)
    return tf.cast(tf.round(tf.clip_by_value(fitted, 0.0, 255.0)), tf.uint8)


def prepare_pixels(pixels: np.ndarray, image_size: int) -> np.ndarray:
    """One decoded ``uint8`` RGB image -> the model's float32 input, exactly as in training.

    Raises:
        ValueError: the image is so thin that fitting it would shrink its short side below
            one pixel (TensorFlow's resize would fail with a message about dimensions).
    """
    height, width = np.shape(pixels)[:2]
    if min(height, width) * image_size < max(height, width):
        raise ValueError(
            f"an image of {width} x {height} pixels is too thin to fit into {image_size} x "
            f"{image_size}: its short side would shrink below one pixel"
        )
    fitted = resize_for_model(tf.convert_to_tensor(pixels, dtype=tf.uint8), image_size)
    return fitted.numpy().astype(np.float32)


def make_dataset(
    records: Sequence[ImageRecord],
    image_size: int,
    batch_size: int,
    *,
    training: bool,
    seed: int,
    augmentation: keras.Layer | None = None,
    cache: bool | str = True,
) -> tf.data.Dataset:
    """A batched ``tf.data.Dataset`` of ``(images, one-hot labels)`` for ``records``.

    Decoding and resizing happen once: their ``uint8`` results are cached (in memory, or in
    the file named by ``cache``); batches come out as float32 in ``0..255``. For training,
    the cached images are reshuffled every epoch and then augmented; validation and test
    data are never shuffled or augmented, so every epoch scores the same plain images.

    Args:
        records: the images, e.g. ``splits.train``.
        image_size: side of the square model input, in pixels.
        batch_size: images per batch.
        training: shuffle and augment (only for the training set).
        seed: fixes the shuffle order.
        augmentation: Keras layers applied to training batches (default
            :func:`make_augmentation`); ignored when ``training`` is False.
        cache: True for an in-memory cache, a file path for a cache on disk, False for none.
    """
    if not records:
        raise ValueError("no records: the split is empty, so there is nothing to load")
    paths = [str(record.path) for record in records]
    labels = [record.label_index for record in records]
    dataset = tf.data.Dataset.from_tensor_slices((paths, labels))
    dataset = dataset.map(
        lambda path, label: (
            resize_for_model(decode_file(path), image_size),
            tf.one_hot(label, len(CLASS_NAMES)),
        ),
        num_parallel_calls=AUTOTUNE,
        deterministic=True,
    )
    if cache:
        dataset = dataset.cache("" if cache is True else str(cache))
    if training:
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(
        lambda images, targets: (tf.cast(images, tf.float32), targets),
        num_parallel_calls=AUTOTUNE,
    )
    if training:
        augment = augmentation if augmentation is not None else make_augmentation(seed)
        dataset = dataset.map(
            lambda images, targets: (augment(images, training=True), targets),
            num_parallel_calls=AUTOTUNE,
        )
    return dataset.prefetch(AUTOTUNE)
