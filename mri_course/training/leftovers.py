"""What interrupted runs leave behind, named so that the next run can tell it is garbage.

A run that is killed (Ctrl-C twice, an out-of-memory kill, a closed laptop) cannot tidy up:
the temporary files of an atomic save (hidden ``.<file>.<random>...`` files beside the
model) and its best checkpoint (``checkpoints/<name>-<stamp>...best.keras``) stay on disk,
tens of megabytes each. The next run cleans them up, by this policy:

* **Temporary files** in the models folder and in ``checkpoints/`` whose name follows the
  course's own pattern are removed when the run that wrote them is over (its process is
  gone), or when they are older than :data:`STALE_AFTER_SECONDS` (a temporary file lives
  for seconds, so an old one is never being written). A file of a run still going is kept.
* **Checkpoints of the same model name** are removed when the run that wrote them is over:
  starting ``train`` again under a name says the earlier, interrupted attempt is done
  with. A checkpoint is the crash insurance of its own run, so it survives that run's
  crash; to keep it past the next run of the name, copy it elsewhere or train under
  another name (``--name``). Checkpoints of other names are never touched.
* Nothing else is touched: not the models, cards and histories, not a hidden file of
  another program, not a file whose name merely looks similar.

Whether a run is over is read from its name: temporary files and checkpoints carry the
machine and process that wrote them (``<host>-<pid>``). Files of another machine (a
shared folder) are only removed by age, temporary files only; files from before the course
named them this way by age alone.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from mri_course.io import temporary_beside

logger = logging.getLogger("mri_course.training")

STALE_AFTER_SECONDS = 10 * 60
"""A temporary file or an untagged checkpoint older than this is not being written."""

CHECKPOINTS = "checkpoints"
_RANDOM = r"[a-z0-9_]{8}"  # what tempfile.mkstemp puts between prefix and suffix
_TAG = r"(?:\.(?P<host>[a-z0-9-]+)-(?P<pid>\d+))?"
_TEMPORARY = re.compile(rf"\.(?P<target>.+)\.{_RANDOM}{_TAG}\.(?:tmp|keras)")
_TARGET_SUFFIXES = (".keras", ".json", ".npz")  # what the course saves in a models folder


def _host() -> str:
    """This machine's name, reduced to what a file name can safely carry."""
    name = socket.gethostname().split(".")[0].lower()
    return re.sub(r"[^a-z0-9-]", "", name)[:20] or "host"


def run_tag() -> str:
    """``<host>-<pid>``: which machine and process is writing a file."""
    return f"{_host()}-{os.getpid()}"


def run_temporary(path: Path | str, suffix: str = ".tmp") -> Path:
    """A temporary file beside ``path`` (see :func:`mri_course.io.temporary_beside`) whose
    name says which run wrote it: ``.<name>.<random>.<host>-<pid><suffix>``."""
    return temporary_beside(path, suffix=f".{run_tag()}{suffix}")


def checkpoint_path(models_dir: Path, name: str) -> Path:
    """Where a run of ``name`` starting now keeps its best checkpoint."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(models_dir) / CHECKPOINTS / f"{name}-{stamp}.{run_tag()}.best.keras"


def _checkpoint_pattern(name: str) -> re.Pattern:
    return re.compile(rf"{re.escape(name)}-\d{{8}}-\d{{6}}{_TAG}\.best\.keras")


def _process_is_gone(pid: int) -> bool | None:
    """True when no process ``pid`` runs on this machine, False when one does, None when
    this system cannot say (``os.kill(pid, 0)`` only asks on POSIX)."""
    if os.name != "posix":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    except OSError:
        return None
    return False


def _run_is_over(match: re.Match, same_process_is_over: bool) -> bool | None:
    """Whether the run named in a file's tag has ended (None: no tag, or another machine)."""
    if match["pid"] is None or match["host"] != _host():
        return None
    pid = int(match["pid"])
    if pid == os.getpid():
        return same_process_is_over
    return _process_is_gone(pid)


def _age(path: Path, now: float) -> float:
    return now - path.stat().st_mtime


@dataclass(frozen=True)
class Cleanup:
    """What :func:`remove_leftovers` removed."""

    temporaries: tuple[Path, ...]
    checkpoints: tuple[Path, ...]
    freed_bytes: int

    @property
    def removed(self) -> tuple[Path, ...]:
        return self.temporaries + self.checkpoints

    def summary(self, models_dir: Path, name: str) -> str:
        """One line for the run's output ("" when nothing was removed)."""
        if not self.removed:
            return ""
        parts = []
        if self.checkpoints:
            many = "s" if len(self.checkpoints) > 1 else ""
            parts.append(f"{len(self.checkpoints)} checkpoint{many} of {name}")
        if self.temporaries:
            many = "s" if len(self.temporaries) > 1 else ""
            parts.append(f"{len(self.temporaries)} temporary file{many}")
        return (
            f"removed what interrupted runs left in {models_dir}: {' and '.join(parts)} "
            f"({self.freed_bytes / 2**20:.1f} MB freed)"
        )


def _leftover_temporaries(folder: Path, now: float) -> list[Path]:
    found = []
    for path in folder.iterdir():
        match = _TEMPORARY.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        target = match["target"]
        if not (target.endswith(_TARGET_SUFFIXES) or target == ".write-test"):
            continue  # the pattern, but not a file the course writes: not ours to judge
        over = _run_is_over(match, same_process_is_over=False)
        if over or (over is None and _age(path, now) > STALE_AFTER_SECONDS):
            found.append(path)
    return found


def _leftover_checkpoints(folder: Path, name: str, now: float) -> list[Path]:
    pattern = _checkpoint_pattern(name)
    found = []
    for path in folder.iterdir():
        match = pattern.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        # An earlier run in this same process (a notebook kernel) is over: runs of one
        # process follow each other. An untagged checkpoint predates the tags.
        over = _run_is_over(match, same_process_is_over=True)
        untagged_and_old = match["pid"] is None and _age(path, now) > STALE_AFTER_SECONDS
        if over or untagged_and_old:
            found.append(path)
    return found


def _remove(paths: list[Path]) -> tuple[tuple[Path, ...], int]:
    """Remove ``paths``; those removed and the bytes freed (a file already gone is skipped)."""
    removed, freed = [], 0
    for path in paths:
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:  # another run cleaned it up first
            continue
        except OSError as error:  # e.g. no permission: leave it, and say so
            logger.warning("could not remove %s (%s)", path, error.strerror or error)
            continue
        logger.info("removed %s (%.1f MB), left by an interrupted run", path, size / 2**20)
        removed.append(path)
        freed += size
    return tuple(removed), freed


def remove_leftovers(models_dir: Path, name: str) -> Cleanup:
    """Remove what interrupted runs left in ``models_dir`` (see the module's policy):
    course temporary files of ended runs, and checkpoints of ``name`` of ended runs.

    Call it when a run of ``name`` starts, before that run writes its own checkpoint.
    """
    models_dir = Path(models_dir)
    checkpoints_dir = models_dir / CHECKPOINTS
    now = time.time()
    temporaries = [
        path
        for folder in (models_dir, checkpoints_dir)
        if folder.is_dir()
        for path in _leftover_temporaries(folder, now)
    ]
    checkpoints = (
        _leftover_checkpoints(checkpoints_dir, name, now) if checkpoints_dir.is_dir() else []
    )
    removed_temporaries, freed_temporaries = _remove(temporaries)
    removed_checkpoints, freed_checkpoints = _remove(checkpoints)
    return Cleanup(removed_temporaries, removed_checkpoints, freed_temporaries + freed_checkpoints)
