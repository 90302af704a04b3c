"""One pass over every image: decode it and keep what the data checks need.

Verifying the dataset, finding duplicates and drawing the lesson's charts all need each
image decoded once. The scan does that in parallel, keeps a small summary per image (format,
mode, size, a pixel fingerprint, a perceptual hash, a 64 px thumbnail) and caches it, so the
second run of ``mri-course data leakage`` takes seconds.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from mri_course.data.decode import MODEL_FORMATS, DecodeError, decode_image
from mri_course.data.hashing import difference_hash
from mri_course.data.index import ImageRecord
from mri_course.io import atomic_write_bytes

SCAN_VERSION = 2
THUMB_SIZE = 64
HASH_SIZE = 16


@dataclass(frozen=True)
class ScanResult:
    """Per-image facts, one row per record, in the order of the records scanned."""

    relpaths: np.ndarray  # str
    file_sha256: np.ndarray  # str, of the file's bytes
    formats: np.ndarray  # str, sniffed from the bytes ("JPEG", "PNG", ...)
    modes: np.ndarray  # str, Pillow mode before conversion ("L", "RGB", ...)
    widths: np.ndarray  # int
    heights: np.ndarray  # int
    errors: np.ndarray  # str, "" when the file decoded in a format a model can read
    pixel_keys: np.ndarray  # str, sha1 of the decoded RGB pixels: equal keys = exact copies
    gray_content: np.ndarray  # bool, the three channels are equal
    mean_intensity: np.ndarray  # float, 0..255
    hashes: np.ndarray  # bool (n, HASH_SIZE**2), difference hash
    thumbnails: np.ndarray  # uint8 (n, THUMB_SIZE, THUMB_SIZE), grayscale

    def __len__(self) -> int:
        return len(self.relpaths)

    @property
    def usable(self) -> np.ndarray:
        """Boolean mask of the images that decoded, in a format the training pipeline reads."""
        return self.errors == ""

    def fingerprint(self) -> str:
        """SHA-256 of the dataset's content: the sorted file paths and their bytes' hashes.

        Two copies of the dataset with the same files give the same fingerprint wherever
        they live, so a model card can say exactly which data a model saw.
        """
        digest = hashlib.sha256()
        for relpath, sha in sorted(
            zip(self.relpaths.tolist(), self.file_sha256.tolist(), strict=True)
        ):
            digest.update(f"{relpath}\0{sha}\n".encode())
        return digest.hexdigest()


_FIELDS = tuple(ScanResult.__dataclass_fields__)


def _blank_row() -> dict:
    """The summary of an image that did not decode; also the template for dtypes."""
    return {
        "file_sha256": "",
        "formats": "",
        "modes": "",
        "widths": 0,
        "heights": 0,
        "errors": "",
        "pixel_keys": "",
        "gray_content": False,
        "mean_intensity": 0.0,
        "hashes": np.zeros(HASH_SIZE * HASH_SIZE, dtype=bool),
        "thumbnails": np.zeros((THUMB_SIZE, THUMB_SIZE), dtype=np.uint8),
    }


def _column(name: str, rows: list[dict]) -> np.ndarray:
    template = np.asarray(_blank_row()[name])
    if not rows:
        dtype = str if template.dtype.kind == "U" else template.dtype
        return np.zeros((0, *template.shape), dtype=dtype)
    return np.array([row[name] for row in rows])


def scan_one(path: str) -> dict:
    """Decode one file and summarise it. Never raises: a bad file gets an ``error``."""
    row = _blank_row()
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        row["errors"] = f"cannot read the file ({error.strerror or error})"
        return row
    row["file_sha256"] = hashlib.sha256(data).hexdigest()
    try:
        decoded = decode_image(data)
    except DecodeError as error:
        row["errors"] = str(error).replace("<bytes>: ", "", 1)
        return row
    if decoded.format not in MODEL_FORMATS:
        row["errors"] = (
            f"{decoded.format} data: the training pipeline reads only "
            f"{', '.join(sorted(MODEL_FORMATS))}; convert the file to PNG"
        )
        return row
    pixels = decoded.pixels
    gray = np.asarray(Image.fromarray(pixels).convert("L"))
    shape_tag = f"{pixels.shape}".encode()
    row.update(
        formats=decoded.format,
        modes=decoded.mode,
        widths=pixels.shape[1],
        heights=pixels.shape[0],
        pixel_keys=hashlib.sha1(shape_tag + pixels.tobytes()).hexdigest(),
        gray_content=bool(
            np.array_equal(pixels[..., 0], pixels[..., 1])
            and np.array_equal(pixels[..., 1], pixels[..., 2])
        ),
        mean_intensity=float(gray.mean()),
        hashes=difference_hash(gray, HASH_SIZE),
        thumbnails=np.asarray(
            Image.fromarray(gray).resize((THUMB_SIZE, THUMB_SIZE), Image.Resampling.BOX)
        ),
    )
    return row


def _cache_key(records: Sequence[ImageRecord]) -> str:
    """Changes when any file is added, removed, renamed, resized or touched."""
    digest = hashlib.sha256(f"scan-v{SCAN_VERSION}-{THUMB_SIZE}-{HASH_SIZE}".encode())
    for record in records:
        stat = record.path.stat()
        digest.update(f"{record.relpath}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def _save(result: ScanResult, path: Path) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{name: getattr(result, name) for name in _FIELDS})
    atomic_write_bytes(path, buffer.getvalue())


def _load(path: Path) -> ScanResult | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            return ScanResult(**{name: stored[name] for name in _FIELDS})
    except (OSError, KeyError, ValueError):
        return None  # an unreadable cache is rebuilt, never trusted


def scan_images(
    records: Sequence[ImageRecord],
    cache_dir: Path | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> ScanResult:
    """Scan ``records`` (decode + summarise each), using and filling a cache when given.

    Args:
        records: the images to scan; the result has one row per record, in this order.
        cache_dir: folder for the cache file; ``None`` scans without caching.
        workers: threads to decode with (default: the number of CPU cores).
        progress: show a progress bar.
    """
    cache_file = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / "scans" / f"{_cache_key(records)}.npz"
        cached = _load(cache_file) if cache_file.exists() else None
        if cached is not None and cached.relpaths.tolist() == [r.relpath for r in records]:
            return cached
    paths = [str(record.path) for record in records]
    workers = workers or os.cpu_count() or 1
    bar = tqdm(total=len(paths), desc="Scanning images", unit="img", disable=not progress)
    # Threads suffice: Pillow, numpy and hashlib release the GIL while they decode, resize
    # and hash, and threads need no `if __name__ == "__main__"` guard in a learner's script.
    rows = []
    with ThreadPoolExecutor(max(1, workers)) as pool:
        for row in pool.map(scan_one, paths):
            rows.append(row)
            bar.update()
    bar.close()
    result = ScanResult(
        relpaths=np.array([r.relpath for r in records], dtype=str),
        **{name: _column(name, rows) for name in _FIELDS if name != "relpaths"},
    )
    if cache_file is not None:
        _save(result, cache_file)
    return result
