"""Atomic file writes: a crash half-way never leaves a broken file where a good one was."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def _usual_permissions(handle: int) -> None:
    """Give a ``mkstemp`` file the permissions a plain ``open`` would have given it.

    ``mkstemp`` makes files only their owner can read (0600); renamed into place, a saved
    model or report would stay that way. The process umask decides, as for any new file.
    """
    os.fchmod(handle, 0o666 & ~_umask())


def _umask() -> int:
    """The process umask, read without changing it where the system allows (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(umask)
    return umask


def temporary_beside(path: Path | str, suffix: str = ".tmp") -> Path:
    """A new empty temporary file in ``path``'s folder (so a rename to ``path`` is atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    _usual_permissions(handle)
    os.close(handle)
    return Path(temporary)


class FolderNotWritableError(OSError):
    """A folder the course must write to cannot be created or written; says which and why."""


def check_writable_folder(folder: Path | str, what: str) -> Path:
    """Create ``folder`` if needed and prove it takes a file, before any long work starts.

    A training run that finds out at its end that it cannot save has wasted the run; this
    makes the same check first, with a message that names the folder and the setting.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary_beside(folder / ".write-test").unlink()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise FolderNotWritableError(
            f"cannot write the {what} to {folder} ({reason}): choose a folder you can write "
            "to, e.g. with MRI_COURSE_MODELS or --out"
        ) from None
    return folder


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
    temporary = temporary_beside(path)
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path | str, text: str) -> Path:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def sha256_of_file(path: Path | str) -> str:
    """The SHA-256 of a file's bytes, as hex: equal digests, equal files."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
