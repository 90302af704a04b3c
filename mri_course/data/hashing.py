"""Perceptual hashes and pixel comparison: the two halves of near-duplicate detection.

A perceptual hash is cheap to compare, so it finds *candidate* pairs among millions; on
brain MRIs (dark background, a centred oval head) a small hash matches thousands of pairs
of different scans, so every candidate is then confirmed by comparing the pixels.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy.stats import rankdata


def difference_hash(gray: np.ndarray, hash_size: int = 16) -> np.ndarray:
    """The difference hash ("dHash") of a grayscale image, as an array of bits.

    Shrink the image with Pillow's BOX filter (each new pixel is the mean of its box) to
    ``hash_size`` rows and ``hash_size + 1`` columns, then record for each pair of
    horizontal neighbours whether the right one is brighter. The bits follow
    the image's gradients rather than its brightness, so re-saving, rescaling or a change of
    contrast leaves most of them unchanged, while a different scan flips many.

    Args:
        gray: a 2-D ``uint8`` array (any size).
        hash_size: number of rows of the shrunken image; the hash has
            ``hash_size * hash_size`` bits.

    Returns:
        A boolean array of shape ``(hash_size * hash_size,)``, row by row: bit ``k`` is
        True where ``small[row, col + 1] > small[row, col]``.

    Hints:
        - Shrink with Pillow: `Image.fromarray(gray).resize((hash_size + 1, hash_size),
          Image.Resampling.BOX)`; note that Pillow's size is (width, height).
        - Compare each column with its left neighbour: `small[:, 1:] > small[:, :-1]`.
        - Cast to a signed or float type before comparing if you subtract; `ravel()` the
          result into one row of bits.
    """
    if gray.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale array, got shape {gray.shape}")
    small = Image.fromarray(gray).resize((hash_size + 1, hash_size), Image.Resampling.BOX)
    pixels = np.asarray(small, dtype=np.int16)
    return (pixels[:, 1:] > pixels[:, :-1]).ravel()


def hamming_matrix(rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Number of differing bits between every row hash and every column hash.

    Both arguments are boolean arrays of shape ``(n, bits)``; the result is ``(n_rows,
    n_columns)``. Written as two matrix products so numpy's BLAS does the work.
    """
    a = rows.astype(np.float32)
    b = columns.astype(np.float32)
    return np.rint(a @ (1.0 - b).T + (1.0 - a) @ b.T).astype(np.int32)


def rank_normalise(thumbnails: np.ndarray) -> np.ndarray:
    """Replace each thumbnail's pixels by their standardised ranks.

    After this, the mean product of two rows is their Spearman correlation: a measure that
    ignores any change of brightness or contrast that keeps the order of the pixels (the
    re-windowed copies in this dataset) but not a change of anatomy (a neighbouring slice).
    """
    flat = thumbnails.reshape(len(thumbnails), -1).astype(np.float64)
    ranks = rankdata(flat, axis=1)
    ranks -= ranks.mean(axis=1, keepdims=True)
    spread = ranks.std(axis=1, keepdims=True)
    spread[spread == 0] = 1.0  # a flat image correlates with nothing
    return (ranks / spread).astype(np.float32)


def pair_correlations(normalised: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Spearman correlation of each ``(i, j)`` pair of rows of a :func:`rank_normalise` output."""
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.float32)
    out = np.empty(len(pairs), dtype=np.float32)
    for start in range(0, len(pairs), 8192):
        chunk = pairs[start : start + 8192]
        a, b = normalised[chunk[:, 0]], normalised[chunk[:, 1]]
        out[start : start + len(chunk)] = np.einsum("ij,ij->i", a, b) / normalised.shape[1]
    return out
