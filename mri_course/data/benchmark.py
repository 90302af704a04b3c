"""How much faster tf.data loads images than a plain one-at-a-time Pillow loop.

Both produce a float32 ``(N, size, size, 3)`` stream of letterboxed RGB images (the Pillow
loop is the plain version a newcomer writes: it drops alpha instead of compositing it and
resizes with Pillow's filter, so its pixels differ slightly). tf.data decodes in parallel,
overlaps loading with consumption (prefetch) and, from the second epoch on, reads the
decoded images from its cache.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from mri_course.data.index import ImageRecord


@dataclass(frozen=True)
class Throughput:
    pil_loop: float  # images per second
    tf_first_epoch: float  # images per second, decoding (cache being filled)
    tf_cached_epoch: float  # images per second, from the cache
    images: int

    @property
    def first_epoch_ratio(self) -> float:
        return self.tf_first_epoch / self.pil_loop

    @property
    def cached_epoch_ratio(self) -> float:
        return self.tf_cached_epoch / self.pil_loop

    def to_text(self) -> str:
        return (
            f"{self.images} images\n"
            f"Pillow loop, one image at a time : {self.pil_loop:8.1f} img/s\n"
            f"tf.data, first epoch (decoding)   : {self.tf_first_epoch:8.1f} img/s "
            f"({self.first_epoch_ratio:.1f}x)\n"
            f"tf.data, later epochs (cached)    : {self.tf_cached_epoch:8.1f} img/s "
            f"({self.cached_epoch_ratio:.1f}x)"
        )


def pil_loop(records: Sequence[ImageRecord], image_size: int, batch_size: int) -> int:
    """The naive loader: open, convert, letterbox, stack, one image after another."""
    batch: list[np.ndarray] = []
    seen = 0
    for record in records:
        with Image.open(record.path) as image:
            fitted = ImageOps.pad(image.convert("RGB"), (image_size, image_size), color=0)
        batch.append(np.asarray(fitted, dtype=np.float32))
        if len(batch) == batch_size:
            seen += len(np.stack(batch))
            batch = []
    return seen + (len(np.stack(batch)) if batch else 0)


def measure_throughput(
    records: Sequence[ImageRecord], image_size: int = 128, batch_size: int = 32
) -> Throughput:
    """Time one pass of each loader over ``records``; tf.data gets two (cold, then cached)."""
    from mri_course.data.pipeline import make_dataset  # TensorFlow only when measuring

    start = time.perf_counter()
    pil_images = pil_loop(records, image_size, batch_size)
    pil_seconds = time.perf_counter() - start

    dataset = make_dataset(records, image_size, batch_size, training=False, seed=0)
    epoch_seconds = []
    for _ in range(2):
        start = time.perf_counter()
        tf_images = sum(int(images.shape[0]) for images, _ in dataset)
        epoch_seconds.append(time.perf_counter() - start)
    if tf_images != pil_images:
        raise RuntimeError(f"loaders disagree: Pillow gave {pil_images}, tf.data {tf_images}")
    return Throughput(
        pil_loop=pil_images / pil_seconds,
        tf_first_epoch=tf_images / epoch_seconds[0],
        tf_cached_epoch=tf_images / epoch_seconds[1],
        images=tf_images,
    )
