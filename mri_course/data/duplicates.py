"""Exact and near duplicates, grouped so that copies never sit on both sides of a split.

* **Exact**: the decoded pixels are identical (the file bytes may differ: a PNG and a JPEG
  re-save of the same pixels are exact copies).
* **Near**: the same scan re-saved, rescaled, cropped slightly or re-windowed. Found in two
  steps: a 256-bit difference hash proposes candidate pairs (cheap, but on brain MRIs it
  also matches thousands of *different* scans), then the 64 px thumbnails confirm them with
  a rank (Spearman) correlation, which ignores contrast changes but not anatomy.

Copies are joined transitively into groups (A~B and B~C puts A, B and C in one group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from mri_course.data.hashing import hamming_matrix, pair_correlations, rank_normalise
from mri_course.data.scan import ScanResult

MAX_HAMMING = 48
"""Candidate threshold: at most 48 of 256 hash bits differ. Measured on the real dataset
(``benchmarks/data_report.py``): every pair that an all-pairs pixel comparison confirms is
among the ~59 k candidates (none is missed from 44 bits up), instead of 24.7 M pairs to
compare; only about one candidate in ten is confirmed, so the hash alone would be wrong."""

MIN_SIMILARITY = 0.97
"""Confirmation threshold on the Spearman correlation of 64 px thumbnails. Looked at by eye
on the real data: from 0.97 up the pairs are the same slice; between 0.95 and 0.97 they mix
re-windowed copies with neighbouring slices of one patient. The comparison is strict about
geometry: a copy that was also cropped or stretched can fall well below 0.97 (lesson 01
shows one at 0.90), so the near-duplicate counts are a lower bound."""


@dataclass(frozen=True)
class Duplicates:
    """Duplicate pairs and groups over the rows of a :class:`ScanResult`."""

    pairs: np.ndarray  # (m, 2) row indices, i < j
    kinds: np.ndarray  # (m,) "exact" or "near"
    similarity: np.ndarray  # (m,) Spearman correlation of the thumbnails (1.0 for exact)
    exact_ids: np.ndarray  # (n,) equal ids = identical pixels
    group_ids: np.ndarray  # (n,) equal ids = copies of each other, exact or near

    def groups(self) -> list[np.ndarray]:
        """Every group of two or more copies, as arrays of row indices (largest first)."""
        return groups_by_id(self.group_ids)

    def exact_groups(self) -> list[np.ndarray]:
        return groups_by_id(self.exact_ids)


def groups_by_id(ids: np.ndarray) -> list[np.ndarray]:
    """Indices sharing an id, for every id held by two or more (largest group first)."""
    order = np.argsort(ids, kind="stable")
    _, starts, counts = np.unique(ids[order], return_index=True, return_counts=True)
    groups = [order[s : s + c] for s, c in zip(starts, counts, strict=True) if c > 1]
    return sorted(groups, key=lambda g: (-len(g), int(g[0])))


def _exact_pairs(pixel_keys: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ids by pixel key, and a chain of pairs linking each exact group."""
    keys = np.where(usable, pixel_keys, np.array([f"undecoded-{i}" for i in range(len(usable))]))
    _, exact_ids = np.unique(keys, return_inverse=True)
    pairs = []
    for group in groups_by_id(exact_ids):
        members = np.sort(group)
        pairs.extend(zip(members[:-1], members[1:], strict=True))
    return exact_ids, np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _candidate_pairs(hashes: np.ndarray, rows: np.ndarray, max_hamming: int) -> np.ndarray:
    """Pairs (i < j) of ``rows`` whose hashes differ in at most ``max_hamming`` bits."""
    found = []
    chunk = 1024
    for start in range(0, len(rows), chunk):
        block = rows[start : start + chunk]
        distances = hamming_matrix(hashes[block], hashes[rows])
        a, b = np.nonzero(distances <= max_hamming)
        i, j = block[a], rows[b]
        keep = i < j
        found.append(np.stack([i[keep], j[keep]], axis=1))
    return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)


def rejected_candidates(
    scan: ScanResult, duplicates: Duplicates, max_hamming: int = MAX_HAMMING
) -> list[tuple[int, int, int, float]]:
    """Pairs the hash proposes but the pixel comparison rejects: the hash's false matches.

    Returns ``(i, j, hamming distance, similarity)`` tuples, closest hashes first. They
    are why every candidate is confirmed by comparing pixels.
    """
    candidates = _candidate_pairs(scan.hashes, np.flatnonzero(scan.usable), max_hamming)
    distinct = duplicates.group_ids[candidates[:, 0]] != duplicates.group_ids[candidates[:, 1]]
    candidates = candidates[distinct]
    similarity = pair_correlations(rank_normalise(scan.thumbnails), candidates)
    distances = np.sum(scan.hashes[candidates[:, 0]] != scan.hashes[candidates[:, 1]], axis=1)
    rows = zip(
        candidates[:, 0].tolist(),
        candidates[:, 1].tolist(),
        distances.tolist(),
        similarity.tolist(),
        strict=True,
    )
    return sorted(rows, key=lambda row: (row[2], -row[3]))


def find_duplicates(
    scan: ScanResult,
    max_hamming: int = MAX_HAMMING,
    min_similarity: float = MIN_SIMILARITY,
) -> Duplicates:
    """Find exact and near duplicates among the decoded images of ``scan``."""
    n = len(scan)
    usable = scan.usable
    exact_ids, exact_pairs = _exact_pairs(scan.pixel_keys, usable)

    candidates = _candidate_pairs(scan.hashes, np.flatnonzero(usable), max_hamming)
    not_exact = exact_ids[candidates[:, 0]] != exact_ids[candidates[:, 1]]
    candidates = candidates[not_exact]
    similarity = pair_correlations(rank_normalise(scan.thumbnails), candidates)
    near_pairs = candidates[similarity >= min_similarity]
    near_similarity = similarity[similarity >= min_similarity]

    pairs = np.concatenate([exact_pairs, near_pairs]).astype(np.int64)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, group_ids = connected_components(graph, directed=False)
    return Duplicates(
        pairs=pairs,
        kinds=np.array(["exact"] * len(exact_pairs) + ["near"] * len(near_pairs), dtype=str),
        similarity=np.concatenate([np.ones(len(exact_pairs)), near_similarity]),
        exact_ids=exact_ids,
        group_ids=group_ids,
    )
