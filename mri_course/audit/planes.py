"""The slice plane of every image: axial, coronal or sagittal, and a classifier for uploads.

Why: the dataset mixes three slice planes, and not evenly. Most healthy (``notumor``) scans
are axial while the tumour classes come in all three (class x plane in
``benchmarks/results/plane_labels.md``), so a model can learn "not axial" as a sign of a
tumour, and the official test set, with the same mix, cannot show it. To
tabulate class x plane and to score a model per plane, every image needs a plane; the
Kaggle release has none. So the planes were labelled here, and shipped as package data:

* ``data/plane_labels.csv``: one row per distinct file (its SHA-256; exact copies share a
  row), with the plane and ``how`` it was obtained: ``hand`` (labelled by looking at the
  image, with no classifier's suggestion: the seed set and the held-out set), ``reviewed``
  (labelled by hand while reviewing the classifier's least confident predictions and a
  sample of every class x plane) or ``classifier`` (the classifier's prediction, not looked
  at by a person);
* ``data/plane_classifier.npz``: the classifier that labelled the rest, which the app also
  runs on uploaded scans.

The classifier reads a 64 x 64 grey thumbnail, exactly the one :mod:`mri_course.data.scan`
keeps for every image (grey, squashed to a square with Pillow's box filter), so the
labels come from the cached scan and an upload goes through the same steps. Its features
are histograms of gradient orientations (HOG) in 8 px and 16 px cells: the plane shows in
the outline of the head and in edges (the face and neck below a coronal or sagittal slice,
the oval of an axial one), not in the grey levels, which vary with the scanner and the
sequence. A multinomial logistic regression reads them; the image and its left-right
mirror are both scored and their probabilities averaged (a mirror keeps the plane, and
sagittal faces look either way). The fitted arrays are stored in an ``.npz`` and the model
is rebuilt from them: no pickle, nothing tied to a scikit-learn version.

How the labels were made, the cross-validation that chose the features and the
regularisation, the accuracy on a hand-labelled set the classifier never trained on and
the class x plane table are in ``benchmarks/results/plane_labels.md`` (made by
``benchmarks/plane_labels.py`` from the hand labels in ``benchmarks/plane_labels_hand.csv``).

Usage::

    from mri_course.audit.planes import plane_of, plane_labels, predict_plane
    plane_of(record)                      # "axial" (a record of the Kaggle dataset)
    plane_labels()[sha256]                # ("sagittal", "reviewed")
    plane, probabilities = predict_plane(load_rgb("upload.png"))
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mri_course.data.decode import to_three_channels
from mri_course.data.scan import THUMB_SIZE

PLANES: tuple[str, ...] = ("axial", "coronal", "sagittal")
HOWS: tuple[str, ...] = ("hand", "reviewed", "classifier")
"""How a shipped label was obtained; see the module's docstring."""

DATA_DIR = Path(__file__).resolve().parent / "data"
LABELS_PATH = DATA_DIR / "plane_labels.csv"
CLASSIFIER_PATH = DATA_DIR / "plane_classifier.npz"
LABEL_COLUMNS = ("sha256", "plane", "how", "confidence", "relpath")
"""Columns of ``plane_labels.csv``; ``confidence`` is the classifier's probability of its
own answer (kept for every row, also the hand-labelled ones), ``relpath`` one of the
file's paths in the Kaggle release, for a reader."""

HOG_BINS = 9  # unsigned gradient orientations, 20 degrees each
DEFAULT_CELLS: tuple[int, ...] = (8, 16)


def grey_thumbnail(pixels: np.ndarray) -> np.ndarray:
    """Any decoded image -> the ``uint8`` (64, 64) grey thumbnail the classifier reads.

    The same steps as :func:`mri_course.data.scan.scan_one`: three channels (alpha over
    black, 16-bit scaled to 8), Pillow's grey conversion, box-filter resize to a square.
    Accepts ``(H, W)`` or ``(H, W, 1..4)`` arrays of ``uint8``, ``uint16`` or ``bool``; any
    other numeric dtype (for example the ``float32`` that
    :func:`mri_course.data.pipeline.prepare_pixels` returns) is read as grey levels 0..255,
    rounded and clipped.
    """
    array = np.asarray(pixels)
    if array.ndim not in (2, 3) or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"expected an image of shape (H, W) or (H, W, C), got {array.shape}")
    if array.dtype not in (np.uint8, np.uint16, np.bool_):
        if not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"expected a numeric image, got dtype {array.dtype}")
        values = array.astype(np.float64)
        if not np.isfinite(values).all():
            raise ValueError("the image holds NaN or infinite values")
        array = np.clip(np.round(values), 0, 255).astype(np.uint8)
    rgb = to_three_channels(array)
    grey = Image.fromarray(rgb).convert("L")
    return np.asarray(grey.resize((THUMB_SIZE, THUMB_SIZE), Image.Resampling.BOX))


def _cell_means(values: np.ndarray, cell: int) -> np.ndarray:
    n, height, width = values.shape
    return values.reshape(n, height // cell, cell, width // cell, cell).mean(axis=(2, 4))


def hog_features(thumbnails: np.ndarray, cell: int, bins: int = HOG_BINS) -> np.ndarray:
    """Histograms of oriented gradients of grey thumbnails, ``(n, 64, 64)`` -> ``(n, d)``.

    Central-difference gradients; each pixel adds its gradient magnitude to one of ``bins``
    unsigned orientation bins of its ``cell`` x ``cell`` cell; each overlapping 2 x 2 block
    of cells is scaled to unit length, so contrast and brightness drop out.
    """
    grey = np.asarray(thumbnails, dtype=np.float32) / 255.0
    n, height, width = grey.shape
    if height % cell or width % cell or height // cell < 2 or width // cell < 2:
        raise ValueError(f"cell {cell} does not tile a {height} x {width} thumbnail")
    gy = np.zeros_like(grey)
    gx = np.zeros_like(grey)
    gy[:, 1:-1] = grey[:, 2:] - grey[:, :-2]
    gx[:, :, 1:-1] = grey[:, :, 2:] - grey[:, :, :-2]
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)
    index = np.minimum((angle / np.pi * bins).astype(np.int64), bins - 1)
    histograms = np.stack(
        [_cell_means(np.where(index == k, magnitude, 0.0), cell) for k in range(bins)], axis=-1
    )
    rows, cols = height // cell - 1, width // cell - 1
    blocks = []
    for i in range(rows):
        for j in range(cols):
            block = histograms[:, i : i + 2, j : j + 2].reshape(n, -1)
            blocks.append(block / np.sqrt((block**2).sum(axis=1, keepdims=True) + 1e-6))
    return np.concatenate(blocks, axis=1)


def plane_features(thumbnails: np.ndarray, cells: Sequence[int] = DEFAULT_CELLS) -> np.ndarray:
    """The classifier's features: HOG at each cell size, side by side, ``(n, d)`` float32.

    ``thumbnails`` is one ``(64, 64)`` grey thumbnail or a stack ``(n, 64, 64)``.
    """
    stack = np.asarray(thumbnails)
    if stack.ndim == 2:
        stack = stack[np.newaxis]
    if stack.ndim != 3:
        raise ValueError(f"expected (64, 64) or (n, 64, 64) thumbnails, got {stack.shape}")
    return np.concatenate([hog_features(stack, cell) for cell in cells], axis=1)


@dataclass(frozen=True)
class PlaneClassifier:
    """Standardised HOG features -> multinomial logistic regression, columns in PLANES order.

    Holds only arrays, so it saves to an ``.npz`` without pickle and loads under any
    NumPy; :meth:`fit` needs scikit-learn, :meth:`predict_proba` does not.
    """

    cells: tuple[int, ...]
    mean: np.ndarray  # (d,) feature means of the training images
    scale: np.ndarray  # (d,) feature standard deviations (1 where constant)
    coef: np.ndarray  # (3, d), rows in PLANES order
    intercept: np.ndarray  # (3,)
    c: float  # the inverse regularisation strength it was fitted with

    @classmethod
    def fit(
        cls,
        thumbnails: np.ndarray,
        planes: Sequence[str],
        c: float,
        cells: Sequence[int] = DEFAULT_CELLS,
    ) -> PlaneClassifier:
        """Fit on grey thumbnails and their planes; each image is also fitted mirrored."""
        from sklearn.linear_model import LogisticRegression

        labels = np.asarray(planes)
        unknown = set(labels.tolist()) - set(PLANES)
        if unknown or set(labels.tolist()) != set(PLANES):
            raise ValueError(f"need labels from all of {PLANES} and no others, got {unknown}")
        thumbs = np.asarray(thumbnails)
        features = np.concatenate(
            [plane_features(thumbs, cells), plane_features(thumbs[:, :, ::-1], cells)]
        ).astype(np.float64)
        targets = np.concatenate([labels, labels])
        mean = features.mean(axis=0)
        scale = features.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=c, max_iter=5000)
        model.fit((features - mean) / scale, targets)
        order = [list(model.classes_).index(plane) for plane in PLANES]
        return cls(
            cells=tuple(int(cell) for cell in cells),
            mean=mean,
            scale=scale,
            coef=np.asarray(model.coef_, dtype=np.float64)[order],
            intercept=np.asarray(model.intercept_, dtype=np.float64)[order],
            c=float(c),
        )

    def _probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = ((features.astype(np.float64) - self.mean) / self.scale) @ self.coef.T
        logits += self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict_proba(self, thumbnails: np.ndarray) -> np.ndarray:
        """``(n, 3)`` probabilities of PLANES: the mean over the image and its mirror."""
        stack = np.asarray(thumbnails)
        if stack.ndim == 2:
            stack = stack[np.newaxis]
        straight = self._probabilities(plane_features(stack, self.cells))
        mirrored = self._probabilities(plane_features(stack[:, :, ::-1], self.cells))
        return (straight + mirrored) / 2.0

    def predict(self, thumbnails: np.ndarray) -> np.ndarray:
        """The most probable plane of each thumbnail."""
        return np.asarray(PLANES)[self.predict_proba(thumbnails).argmax(axis=1)]

    def save(self, file) -> None:
        """Write the arrays to ``file`` (a path or a binary file object) as an ``.npz``."""
        np.savez_compressed(
            file,
            planes=np.asarray(PLANES),
            cells=np.asarray(self.cells, dtype=np.int64),
            mean=self.mean,
            scale=self.scale,
            coef=self.coef,
            intercept=self.intercept,
            c=np.float64(self.c),
        )

    @classmethod
    def load(cls, path: Path | str) -> PlaneClassifier:
        with np.load(path, allow_pickle=False) as stored:
            if tuple(stored["planes"].tolist()) != PLANES:
                raise ValueError(f"{path}: classes {stored['planes'].tolist()} != {PLANES}")
            return cls(
                cells=tuple(int(cell) for cell in stored["cells"]),
                mean=stored["mean"],
                scale=stored["scale"],
                coef=stored["coef"],
                intercept=stored["intercept"],
                c=float(stored["c"]),
            )


@functools.lru_cache(maxsize=1)
def load_classifier() -> PlaneClassifier:
    """The shipped classifier (``data/plane_classifier.npz``), loaded once."""
    return PlaneClassifier.load(CLASSIFIER_PATH)


def predict_plane(pixels: np.ndarray) -> tuple[str, dict[str, float]]:
    """The plane of any decoded image and the probability of each plane.

    ``pixels`` is what :func:`mri_course.data.decode.load_rgb` returns, or any grey or
    colour array :func:`grey_thumbnail` accepts, of any size. Deterministic. The classifier
    knows only brain MRI slices of the three planes: it names a plane for anything, so read
    a low top probability as "unsure", not as a fourth plane. It learned from the dataset's
    scans, which show the scalp and, in coronal and sagittal slices, the face and neck; on
    skull-stripped slices (the MNI152 template) it often gets the plane wrong, coronal ones
    most (``benchmarks/results/plane_labels.md``, "Out of the dataset").
    """
    probabilities = load_classifier().predict_proba(grey_thumbnail(pixels))[0]
    return PLANES[int(probabilities.argmax())], {
        plane: float(p) for plane, p in zip(PLANES, probabilities, strict=True)
    }


def read_labels(path: Path | str = LABELS_PATH) -> list[dict[str, str]]:
    """The rows of a labels file, as written by ``benchmarks/plane_labels.py``."""
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        if tuple(reader.fieldnames or ()) != LABEL_COLUMNS:
            raise ValueError(f"{path}: columns {reader.fieldnames} != {list(LABEL_COLUMNS)}")
        return list(reader)


@functools.lru_cache(maxsize=1)
def plane_labels() -> dict[str, tuple[str, str]]:
    """The shipped labels: file SHA-256 -> (plane, how), one entry per distinct file."""
    labels: dict[str, tuple[str, str]] = {}
    for row in read_labels(LABELS_PATH):
        sha, plane, how = row["sha256"], row["plane"], row["how"]
        if plane not in PLANES or how not in HOWS:
            raise ValueError(f"{LABELS_PATH}: bad row {row}")
        if sha in labels:
            raise ValueError(f"{LABELS_PATH}: {sha} appears twice")
        labels[sha] = (plane, how)
    return labels


def plane_of(record_or_sha) -> str:
    """The shipped plane of a dataset image: a record (anything with ``.path``), a path, or
    the SHA-256 of the file's bytes. Raises ``KeyError`` for a file not in the Kaggle
    release (an upload, an edited copy): use :func:`predict_plane` on its pixels instead.
    """
    if isinstance(record_or_sha, str) and re.fullmatch(r"[0-9a-fA-F]{64}", record_or_sha):
        sha = record_or_sha.lower()
    else:
        path = Path(getattr(record_or_sha, "path", record_or_sha))
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        return plane_labels()[sha][0]
    except KeyError:
        raise KeyError(
            f"{record_or_sha!r}: not a file of the Kaggle release (no shipped plane label); "
            "use predict_plane on its pixels"
        ) from None


def planes_of(records: Sequence) -> list[str]:
    """The plane of each record (anything with ``.path``): the shipped label of a file of
    the Kaggle release, else the classifier's prediction from its pixels (the course's
    synthetic scans, an edited copy). The labels are read once, not once per record."""
    from mri_course.data.decode import load_rgb

    labels = plane_labels()
    found = []
    for record in records:
        label = labels.get(hashlib.sha256(Path(record.path).read_bytes()).hexdigest())
        found.append(label[0] if label else predict_plane(load_rgb(record.path))[0])
    return found


def balancing_repeats(
    labels: Sequence[str], groups: Sequence[str], floor: float = 0.25, cap: int = 4
) -> list[int]:
    """How many times to show each item per epoch so that no group of a class is rare.

    Each (class, group) pair is repeated until it has at least ``floor`` times the items
    of its class's largest group, at most ``cap`` times: a group of 41 beside one of 1462
    gets 4 (not 9: repeating the same few scans too often teaches them by heart).
    """
    if len(labels) != len(groups):
        raise ValueError(f"{len(labels)} labels but {len(groups)} groups: give one of each")
    counts = Counter(zip(labels, groups, strict=True))
    largest: Counter = Counter()
    for (label, _), n in counts.items():
        largest[label] = max(largest[label], n)
    return [
        min(cap, max(1, round(floor * largest[label] / counts[(label, group)])))
        for label, group in zip(labels, groups, strict=True)
    ]


def plane_balancing_repeats(records: Sequence, floor: float = 0.25, cap: int = 4) -> dict[str, int]:
    """:func:`balancing_repeats` by slice plane, as ``relpath -> repeats`` for a
    ``train(..., train_repeats=...)`` run (images shown once are not listed).

    Why: most healthy training scans are axial (class x plane in ``plane_labels.md``), so
    a model sees a coronal or sagittal slice almost only with a tumour and learns "not
    axial" as a sign of one. Showing the rare planes of a class more often corrects the
    balance without inventing data; the effect is in ``mitigation_report.md``.
    """
    repeats = balancing_repeats([r.label for r in records], planes_of(records), floor, cap)
    return {r.relpath: n for r, n in zip(records, repeats, strict=True) if n > 1}
