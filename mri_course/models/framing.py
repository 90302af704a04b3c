"""Framing-invariant input: a layer that zooms every scan to the square around the head.

The dataset's sources frame the head differently: the tumour scans (figshare) mostly fill
their frame, the healthy ones (Br35H, SARTAJ) leave more black around it. A network can
learn that margin instead of the anatomy, and then a scan cropped or padded differently
changes its answer (``benchmarks/results/stress_report_before_mitigation.md``: a 15%
border crop cost the CNN shipped without this layer far more than a rotation).
:class:`HeadCrop` removes the margin before the network sees it, the same way for every
image, so the framing no longer tells the classes apart.

It is a layer of the model rather than a step of the input pipeline so that the saved
``.keras`` file still takes the whole decoded image, fitted to its input size: the app, the
evaluation and the audits feed it exactly what they feed any other model.

The shipped CNN has it as its first layer (``mri-course train cnn --head-crop --augmentation
framed --balance-planes --label-smoothing 0.1``). ``benchmarks/results/mitigation_report.md``
measures it against the CNN shipped before the mitigations, and against one trained with the
layer but light augmentation: the layer alone cuts the cost of a crop, not within the
course's target, and calls healthy side views tumours; the ``"framed"`` augmentation does
the rest.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mri_course")
class HeadCrop(keras.layers.Layer):
    """Zoom each image to the smallest square, centred on the head, that holds all of it.

    The head is what is brighter than ``threshold`` times the image's brightest pixel; rows
    and columns count as head when more than ``min_share`` of their pixels are, so a speck
    narrower than that is ignored; a wider bright mark, such as a label burnt into a
    corner, does stretch the box (the zoom is then smaller, never wrong). The box is widened
    by ``margin`` on each side, made square (its longer side), and resampled bilinearly to
    the input size; whatever falls outside the image is black, like the background. A
    blank image keeps its frame, and a box under ``min_side`` of the frame is widened to
    that share, so a lone speck is not blown up to fill the image.

    Only zooming in happens: the box never exceeds the frame, so no detail is thrown away
    by shrinking, and an image whose head already fills its frame passes through unchanged.
    Gradients flow to the pixels (the box itself is a step function of them), so gradient
    maps of a model with this layer are in the coordinates of the image it was given. Maps
    drawn on the zoomed image, such as Grad-CAM's, are moved back by
    :meth:`to_input_frame`.
    """

    def __init__(
        self,
        threshold: float = 0.1,
        min_share: float = 0.02,
        margin: float = 0.02,
        min_side: float = 0.25,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for label, value in (("threshold", threshold), ("min_share", min_share)):
            if not 0 < value < 1:
                raise ValueError(f"HeadCrop: {label} must be between 0 and 1, got {value}")
        if not 0 <= margin < 0.5 or not 0 < min_side <= 1:
            raise ValueError(
                f"HeadCrop: need 0 <= margin < 0.5 and 0 < min_side <= 1, got {margin}, {min_side}"
            )
        self.threshold, self.min_share = threshold, min_share
        self.margin, self.min_side = margin, min_side

    def head_boxes(self, images):
        """Each image's square as ``(top, left, side)`` in pixels, edges between pixels."""
        height, width = images.shape[1], images.shape[2]
        grey = ops.mean(images, axis=-1)
        peak = ops.max(grey, axis=(1, 2), keepdims=True)
        head = ops.cast(grey > self.threshold * peak, "float32")
        rows = ops.mean(head, axis=2) > self.min_share
        columns = ops.mean(head, axis=1) > self.min_share
        top, bottom = _first_and_last(rows, height)
        left, right = _first_and_last(columns, width)
        frame = float(min(height, width))
        side = ops.maximum(bottom - top, right - left) * (1 + 2 * self.margin)
        side = ops.clip(side, self.min_side * frame, frame)
        centre_y, centre_x = (top + bottom) / 2, (left + right) / 2
        return centre_y - side / 2, centre_x - side / 2, side

    def _zoom(self, images):
        """Each image's square as its top and left edge and its scale along each axis: the
        input pixels one output pixel spans."""
        top, left, side = self.head_boxes(images)
        return top, left, side / images.shape[1], side / images.shape[2]

    def call(self, images):
        if len(images.shape) != 4:
            raise ValueError(
                f"HeadCrop takes a batch of images (batch, height, width, channels), got shape "
                f"{tuple(images.shape)}: add a batch axis, e.g. images[None]"
            )
        images = ops.cast(images, self.compute_dtype)
        top, left, scale_y, scale_x = self._zoom(images)
        # Output pixel centre (x + 0.5) maps to left + (x + 0.5) * scale in the input, whose
        # pixel centres sit at index + 0.5: hence the half-pixel terms.
        return _resample(
            images, scale_x, scale_y, left + 0.5 * scale_x - 0.5, top + 0.5 * scale_y - 0.5
        )

    def to_input_frame(self, maps, images):
        """Maps ``(n, height, width)`` drawn on this layer's output, moved back into the
        frame of ``images``, the batch it zoomed: Grad-CAM's feature maps see the zoomed
        head, the overlay shows the image as given. Outside the head's square the map is 0:
        the network never saw that part."""
        top, left, scale_y, scale_x = self._zoom(ops.cast(images, self.compute_dtype))
        # The inverse of call's mapping: input index u reads the output at index
        # (u + 0.5 - left) / scale - 0.5.
        maps = ops.cast(maps, self.compute_dtype)[..., None]
        return _resample(
            maps,
            1 / scale_x,
            1 / scale_y,
            (0.5 - left) / scale_x - 0.5,
            (0.5 - top) / scale_y - 0.5,
        )[..., 0]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "threshold": self.threshold,
            "min_share": self.min_share,
            "margin": self.margin,
            "min_side": self.min_side,
        }


def _resample(images, scale_x, scale_y, shift_x, shift_y):
    """Bilinear resampling of a batch: output pixel (y, x) reads the input at
    (scale_y * y + shift_y, scale_x * x + shift_x), one scale and shift per image; black
    outside."""
    zero = ops.zeros_like(scale_x)
    transform = ops.stack([scale_x, zero, shift_x, zero, scale_y, shift_y, zero, zero], axis=1)
    return ops.image.affine_transform(images, transform, fill_mode="constant")


def head_crop_of(model) -> HeadCrop | None:
    """The model's :class:`HeadCrop`, when it is the first layer after the input; else None."""
    first = next(
        (layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)), None
    )
    return first if isinstance(first, HeadCrop) else None


def _first_and_last(inside, length: int):
    """The edges (between pixels) of the span of True along the last axis; the whole length
    when nothing is True, so a blank image keeps its frame."""
    index = ops.cast(ops.arange(length), "float32")
    first = ops.min(ops.where(inside, index, float(length)), axis=-1)
    last = ops.max(ops.where(inside, index + 1, 0.0), axis=-1)
    empty = first >= last
    return ops.where(empty, 0.0, first), ops.where(empty, float(length), last)
