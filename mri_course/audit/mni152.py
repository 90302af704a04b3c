"""A healthy brain from elsewhere, in every plane: the MNI152 template through a classifier.

Nearly all of the dataset's healthy (``notumor``) training slices are axial, while the
tumour classes come in axial, coronal and sagittal planes. A model can therefore learn
"not axial" as a sign of a tumour. The official test set cannot show it: it has the same
mix. So this module renders slices of a brain the model never saw, with no tumour, in all
three planes, the way the dataset's images look, and counts how many the model calls
``notumor``. Truth is ``notumor`` for every slice; a wrong call made with high confidence is
what the app must warn about. ``benchmarks/results/mni152_report.md`` holds the measured
shares per plane and window for the course's models (``benchmarks/mni152_report.py``).

The brain is the MNI152 T1 template that ``nilearn`` ships: the ICBM 2009a symmetric
average of 152 healthy adults, 1 mm voxels, 197 x 233 x 189. ``load_mni152_template()`` at
its default resolution reads the file inside the nilearn package
(``nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz``): nothing is
downloaded, so this runs offline. Three ways it differs from the dataset's scans, to keep in
mind when reading the results:

* it is **skull-stripped**: brain only, no scalp, skull, eyes or neck. The dataset's
  images show the bright ring of scalp fat and, in coronal and sagittal slices, the face
  and neck;
* it is an average of many brains: smoother, with sharper grey/white contrast and no
  noise, and it is not stored as a JPEG;
* it is left-right symmetric (the ``sym`` in its name), so sagittal slices at ``x`` and
  ``-x`` are the same image: a sagittal count counts each such pair twice.

Rendering follows the dataset's conventions (look at a few of its images): a black
background; axial and coronal slices in radiological view (the patient's right on the
image's left), anterior up in axial slices, superior up in coronal and sagittal ones; in
sagittal slices the nose points left, as in most of the dataset's sagittal scans. Each plane
has one field of view (the brain's extent in that plane plus a margin), so the head fills
most of the frame and keeps its size from slice to slice, as on a scanner.

Usage::

    from mri_course.audit.mni152 import render_slices, score_planes, WINDOWS
    images = render_slices("sagittal", 12)  # (12, 512, 512, 3) uint8
    scores = score_planes(model, window=WINDOWS["dim"])
    scores["sagittal"].share_notumor, scores["sagittal"].wrong_at(0.9)
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from mri_course.audit.planes import PLANES
from mri_course.data.nifti import PLANE_AXES, radiological_view
from mri_course.data.release import CLASS_NAMES

TRUTH = "notumor"
CONFIDENT = 0.9
"""A wrong call at or above this confidence is one the app should warn about."""

DEFAULT_SIZE = 512  # the most common size of the dataset's images
DEFAULT_COUNT = 12
MIN_AREA = 0.3  # a slice with less brain than this share of the plane's largest is skipped
MARGIN = 0.05  # black border around the brain's extent, per side, as a share of the frame


@dataclass(frozen=True)
class Window:
    """How the template's intensities become grey levels.

    The ``low`` and ``high`` percentiles of the brain's voxels (the whole volume, so every
    slice of every plane shares one window, like one exported series) map to 0 and to
    ``peak``; values outside are clipped. With ``peak`` 255 the white matter is white, far
    brighter than the brains in the dataset's scans, whose brightest pixels are scalp fat,
    which the skull-stripped template lacks: a lower ``peak`` renders the brain at their
    level (the report's "How bright the brain is" compares the two).
    """

    low: float = 0.5
    high: float = 99.5
    peak: int = 255

    def __post_init__(self):
        if not 0.0 <= self.low < self.high <= 100.0:
            raise ValueError(
                f"window percentiles must satisfy 0 <= low < high <= 100, got "
                f"low={self.low}, high={self.high}"
            )
        if not 1 <= self.peak <= 255:
            raise ValueError(f"window peak must be a grey level in 1..255, got {self.peak}")

    def describe(self) -> str:
        return f"percentiles {self.low:g}-{self.high:g} -> grey 0-{self.peak}"


WINDOWS: dict[str, Window] = {
    "full": Window(0.5, 99.5),  # the brain's whole range, white matter near 255
    "contrast": Window(5.0, 95.0),  # darkest CSF and brightest white matter clipped
    "dim": Window(0.5, 99.5, peak=120),  # the brain about as bright as the dataset's
}
"""The windows the report compares (``benchmarks/mni152_report.py``)."""


@functools.lru_cache(maxsize=1)
def _template() -> tuple[np.ndarray, np.ndarray]:
    """The template's voxels (float32, 0..1, read-only) and its affine, loaded once."""
    import nibabel as nib
    from nilearn.datasets import load_mni152_template

    image = load_mni152_template()  # resolution 1 mm: the file shipped inside nilearn
    affine = np.asarray(image.affine, dtype=np.float64)
    if nib.aff2axcodes(affine) != ("R", "A", "S") or np.count_nonzero(affine[:3, :3]) != 3:
        # The flips in radiological_view assume an axis-aligned R, A, S volume.
        raise RuntimeError(f"unexpected MNI152 template orientation: affine\n{affine}")
    volume = np.asarray(image.dataobj, dtype=np.float32)
    volume.setflags(write=False)
    return volume, affine


def _check_plane(plane: str) -> int:
    if plane not in PLANE_AXES:
        raise ValueError(f"unknown plane {plane!r}: use one of {', '.join(PLANES)}")
    return PLANE_AXES[plane]


def _slice_indices(volume: np.ndarray, axis: int, count: int, min_area: float) -> np.ndarray:
    brain = volume > 0  # the template is masked: zero outside the brain
    area = brain.sum(axis=tuple(a for a in range(3) if a != axis))
    kept = np.flatnonzero(area >= min_area * area.max())
    first, last = int(kept[0]), int(kept[-1])
    if count > last - first + 1:
        raise ValueError(f"count={count} is more than the {last - first + 1} slices with brain")
    return np.round(np.linspace(first, last, count)).astype(int)


def slice_positions(plane: str, count: int = DEFAULT_COUNT, *, min_area: float = MIN_AREA):
    """The MNI coordinate, in mm, of each slice :func:`render_slices` gives (x, y or z)."""
    axis = _check_plane(plane)
    volume, affine = _template()
    indices = _slice_indices(volume, axis, count, min_area)
    return tuple(float(affine[axis, axis] * k + affine[axis, 3]) for k in indices)


def render_slices(
    plane: str,
    count: int = DEFAULT_COUNT,
    *,
    window: Window = WINDOWS["full"],
    size: int = DEFAULT_SIZE,
    min_area: float = MIN_AREA,
) -> np.ndarray:
    """``count`` slices of the template in ``plane``, as the dataset's images look.

    Args:
        plane: "axial", "coronal" or "sagittal".
        count: slices, evenly spread from the first to the last slice whose brain area is at
            least ``min_area`` of the plane's largest (near-empty edge slices are skipped).
        window: the intensity window (:class:`Window`); results depend on it.
        size: side of the square images, in pixels.
        min_area: see ``count``.

    Returns:
        ``(count, size, size, 3)`` ``uint8`` RGB (three equal channels), the order of
        :func:`slice_positions` (left to right, posterior to anterior, inferior to superior).
    """
    from PIL import Image

    axis = _check_plane(plane)
    if count < 1 or size < 8:
        raise ValueError(f"need count >= 1 and size >= 8, got count={count}, size={size}")
    volume, _ = _template()
    indices = _slice_indices(volume, axis, count, min_area)
    brain = volume[volume > 0]
    low, high = np.percentile(brain, [window.low, window.high])
    grey = np.clip((volume - low) / (high - low), 0.0, 1.0) * window.peak
    grey[volume <= 0] = 0.0  # the background stays black whatever the window

    # One field of view per plane: the brain's extent in the other two axes, squared, plus
    # a margin, so the head keeps its size and place from slice to slice.
    footprint = radiological_view((volume > 0).any(axis=axis))
    rows, cols = np.flatnonzero(footprint.any(axis=1)), np.flatnonzero(footprint.any(axis=0))
    centre = np.array([rows[0] + rows[-1], cols[0] + cols[-1]]) / 2.0
    side = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    frame = int(np.ceil(side / (1.0 - 2.0 * MARGIN)))
    top, left = np.round(centre - (frame - 1) / 2.0).astype(int)

    images = np.empty((count, size, size, 3), dtype=np.uint8)
    for n, k in enumerate(indices):
        section = radiological_view(np.take(grey, k, axis=axis))
        canvas = np.zeros((frame, frame), dtype=np.float32)
        src_r = slice(max(top, 0), min(top + frame, section.shape[0]))
        src_c = slice(max(left, 0), min(left + frame, section.shape[1]))
        canvas[src_r.start - top : src_r.stop - top, src_c.start - left : src_c.stop - left] = (
            section[src_r, src_c]
        )
        resized = Image.fromarray(canvas).resize((size, size), Image.Resampling.BICUBIC)
        # Bicubic overshoots at edges: clip back into the window.
        pixels = np.clip(np.round(np.asarray(resized)), 0, window.peak).astype(np.uint8)
        images[n] = pixels[..., None]
    return images


@dataclass(frozen=True)
class PlaneScore:
    """What a model said about the template's slices in one plane (truth: ``notumor``).

    Per-slice fields are tuples in slice order (:func:`slice_positions`); the summaries are
    computed from them, so they always agree.
    """

    plane: str
    window: Window
    positions_mm: tuple[float, ...]  # the MNI coordinate of each slice (x, y or z)
    probabilities: tuple[tuple[float, ...], ...]  # softmax rows, in CLASS_NAMES order

    def __post_init__(self):
        _check_plane(self.plane)
        if not self.probabilities or len(self.probabilities) != len(self.positions_mm):
            raise ValueError("need one row of probabilities per slice position, and a slice")
        if any(len(row) != len(CLASS_NAMES) for row in self.probabilities):
            raise ValueError(f"each row needs {len(CLASS_NAMES)} probabilities ({CLASS_NAMES})")

    @property
    def slices(self) -> int:
        return len(self.probabilities)

    @property
    def predicted(self) -> tuple[str, ...]:
        """Each slice's call: the class with the highest probability."""
        return tuple(CLASS_NAMES[int(np.argmax(row))] for row in self.probabilities)

    @property
    def confidence(self) -> tuple[float, ...]:
        """The probability of each slice's predicted class."""
        return tuple(max(row) for row in self.probabilities)

    @property
    def counts(self) -> dict[str, int]:
        """Slices per predicted class, every class listed (zero included)."""
        found = Counter(self.predicted)
        return {name: found[name] for name in CLASS_NAMES}

    @property
    def share_notumor(self) -> float:
        """The share of slices called ``notumor``: the accuracy here."""
        return self.counts[TRUTH] / self.slices

    @property
    def wrong_confidences(self) -> tuple[float, ...]:
        """The confidence of each wrong call (a tumour class predicted), in slice order."""
        return tuple(c for p, c in zip(self.predicted, self.confidence, strict=True) if p != TRUTH)

    @property
    def median_wrong_confidence(self) -> float | None:
        wrong = self.wrong_confidences
        return float(np.median(wrong)) if wrong else None

    @property
    def max_wrong_confidence(self) -> float | None:
        wrong = self.wrong_confidences
        return max(wrong) if wrong else None

    def wrong_at(self, threshold: float = CONFIDENT) -> int:
        """How many slices got a wrong label with at least ``threshold`` confidence."""
        return sum(c >= threshold for c in self.wrong_confidences)

    def summary(self) -> dict:
        """The figures as plain JSON-ready values, per-slice ones included."""
        return {
            "plane": self.plane,
            "window": {"low": self.window.low, "high": self.window.high, "peak": self.window.peak},
            "slices": self.slices,
            "share_notumor": self.share_notumor,
            "counts": self.counts,
            "wrong": len(self.wrong_confidences),
            f"wrong_at_{CONFIDENT:g}": self.wrong_at(CONFIDENT),
            "median_wrong_confidence": self.median_wrong_confidence,
            "max_wrong_confidence": self.max_wrong_confidence,
            "per_slice": [
                {"position_mm": pos, "predicted": pred, "probabilities": list(row)}
                for pos, pred, row in zip(
                    self.positions_mm, self.predicted, self.probabilities, strict=True
                )
            ],
        }


def score_plane(
    model,
    plane: str,
    count: int = DEFAULT_COUNT,
    *,
    window: Window = WINDOWS["full"],
    size: int = DEFAULT_SIZE,
) -> PlaneScore:
    """Render ``count`` slices in ``plane`` and classify them with a course model.

    Each image goes through :func:`mri_course.data.pipeline.prepare_pixels`, the resize and
    padding training used, at the model's input size; the model (``Dense(4, softmax)``
    last, inputs float32 in 0..255) scores them in one batch.
    """
    from mri_course.data.pipeline import prepare_pixels

    images = render_slices(plane, count, window=window, size=size)
    input_size = int(model.input_shape[1])
    batch = np.stack([prepare_pixels(image, input_size) for image in images])
    probabilities = np.asarray(model.predict(batch, verbose=0), dtype=np.float64)
    if probabilities.shape != (count, len(CLASS_NAMES)):
        raise ValueError(
            f"expected one row of {len(CLASS_NAMES)} class probabilities per slice, got "
            f"{probabilities.shape}"
        )
    return PlaneScore(
        plane=plane,
        window=window,
        positions_mm=slice_positions(plane, count),
        probabilities=tuple(tuple(float(p) for p in row) for row in probabilities),
    )


def score_planes(
    model,
    planes: Iterable[str] = PLANES,
    count: int = DEFAULT_COUNT,
    *,
    window: Window = WINDOWS["full"],
    size: int = DEFAULT_SIZE,
) -> dict[str, PlaneScore]:
    """:func:`score_plane` for each plane, keyed by plane name."""
    return {plane: score_plane(model, plane, count, window=window, size=size) for plane in planes}


def confident_wrong_share(
    scores: Mapping[str, PlaneScore] | Iterable[PlaneScore], threshold: float = CONFIDENT
) -> float:
    """The share of all slices, every plane together, given a wrong label with at least
    ``threshold`` confidence: how often the app would state a wrong diagnosis firmly.

    The share called ``notumor`` says how often a model is right on a healthy brain from
    elsewhere; this says how often it is wrong *and sure*, the failure a user cannot see.

    Args:
        scores: one :class:`PlaneScore` per plane, as a mapping (``score_planes``'s
            result) or any iterable.
        threshold: the confidence from which a wrong answer counts.

    Returns:
        A share in ``[0, 1]``.

    Hints:
        - A mapping's scores are its `.values()`; make a list either way.
        - Each score has `.slices` and `.wrong_at(threshold)`: sum each over the planes.
        - No slices at all: raise `ValueError` rather than divide by zero.
    """
    planes = list(scores.values()) if isinstance(scores, Mapping) else list(scores)
    total = sum(score.slices for score in planes)
    if total == 0:
        raise ValueError("no slices scored")
    return sum(score.wrong_at(threshold) for score in planes) / total
