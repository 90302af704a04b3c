"""Atomic file writes: a crash half-way never leaves a broken file where a good one was."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def temporary_beside(path: Path | str, suffix: str = ".tmp") -> Path:
    """A new empty temporary file in ``path``'s folder (so a rename to ``path`` is atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    return Path(temporary)


def fsync_file(path: Path | str) -> None:
    """Flush a written file to the disk, so a rename after it cannot expose lost data."""
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def atomic_write_bytes(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    ``os.replace`` swaps the finished file in with one rename, so readers see either the
    old file or the complete new one, never a partial write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path | str, text: str) -> Path:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))
