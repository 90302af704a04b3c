"""The model card: what a saved model is, what data it saw, how it was trained, how it did.

It is written next to each saved model (``name.card.json``) so that a number quoted from a
model can always be traced to its data, split, settings and hardware.
"""

from __future__ import annotations

import hashlib
import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from mri_course.data.index import ImageRecord
from mri_course.data.splits import SUBSETS, Splits

CARD_SUFFIX = ".card.json"
HISTORY_SUFFIX = ".history.json"


def membership_hash(records: Sequence[ImageRecord]) -> str:
    """A short hash of which files are in a subset (equal hash, equal subset)."""
    digest = hashlib.sha256("\n".join(sorted(r.relpath for r in records)).encode())
    return digest.hexdigest()[:16]


def split_summary(splits: Splits, val_fraction: float, seed: int) -> dict:
    return {
        "name": splits.name,
        "description": splits.description,
        "val_fraction": val_fraction,
        "seed": seed,
        "counts": splits.counts(),
        "membership": {name: membership_hash(splits.subset(name)) for name in SUBSETS},
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware_summary() -> dict:
    """The machine a model was trained on: CPU, core count, memory, GPUs."""
    import tensorflow as tf

    memory_gib = None
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages * page_size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "gpus": [device.name for device in tf.config.list_physical_devices("GPU")],
    }


def versions() -> dict:
    import keras
    import tensorflow as tf

    from mri_course import __version__

    return {
        "mri_course": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
    }


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def phase_summary(name: str, history: dict, seconds: list[float], note: str = "") -> dict:
    """Epochs, best epoch (lowest validation loss) and mean epoch time of one phase."""
    losses = history.get("val_loss", [])
    summary = {
        "phase": name,
        "epochs": len(losses),
        "best_epoch": losses.index(min(losses)) + 1 if losses else None,
        "seconds_per_epoch": round(sum(seconds) / len(seconds), 1) if seconds else None,
    }
    return {**summary, "note": note} if note else summary


def model_card(
    *,
    name: str,
    model,
    recipe: dict,
    settings,
    survey,
    splits: Splits,
    phases: list[dict],
    wall_seconds: float,
    metrics: dict,
    command: str | None,
    weights: str | None = None,
) -> dict:
    """Everything a saved model should carry about where it comes from and how it did.

    ``seconds_per_epoch`` and ``best_epoch`` describe the last (main) phase; ``phases``
    lists each one.
    """
    main = phases[-1] if phases else {}
    card = {
        "name": name,
        "architecture": model.name,
        "created": now_iso(),
        "profile": settings.profile.name,
        "image_size": recipe["image_size"],
        "parameters": int(model.count_params()),
        "data": {
            "root": str(survey.root),
            "fingerprint": survey.scan.fingerprint(),
            "images": int(survey.usable.sum()),
            "split": split_summary(splits, settings.profile.val_fraction, settings.seed),
        },
        "training": {
            "recipe": recipe,
            "epochs_run": sum(phase["epochs"] for phase in phases),
            "best_epoch": main.get("best_epoch"),
            "wall_time_seconds": round(wall_seconds, 1),
            "seconds_per_epoch": main.get("seconds_per_epoch"),
            "phases": phases,
            "command": command,
        },
        "metrics": metrics,
        "hardware": hardware_summary(),
        "versions": versions(),
    }
    if weights is not None:
        card["weights"] = weights
    return card
