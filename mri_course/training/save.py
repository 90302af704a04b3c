"""Saving a trained model so that nothing good is ever lost.

The model, its card and its history are written to temporary files in the target folder
and renamed into place; a run that fails before that point leaves the earlier model
untouched, and a crash mid-write leaves no half-written file under the real name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras

from mri_course.io import fsync_file, temporary_beside
from mri_course.training.card import CARD_SUFFIX, HISTORY_SUFFIX


def card_path(model_path: Path) -> Path:
    return model_path.with_suffix(CARD_SUFFIX)


def history_path(model_path: Path) -> Path:
    return model_path.with_suffix(HISTORY_SUFFIX)


def save_trained_model(model: keras.Model, card: dict, history: dict, path: Path) -> Path:
    """Save a model with its card and history (``name.card.json``, ``name.history.json``).

    All three are first written in full to temporary files; only then are they renamed
    into place, one after the other. A failure while writing leaves every old file as it
    was.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"models are saved as .keras files, got {path.name}")
    staged: list[tuple[Path, Path]] = []
    try:
        model_file = temporary_beside(path, suffix=".keras")
        staged.append((model_file, path))
        model.save(model_file)
        for target, content in ((history_path(path), history), (card_path(path), card)):
            temporary = temporary_beside(target)
            staged.append((temporary, target))
            temporary.write_text(json.dumps(content, indent=2), encoding="utf-8")
        for temporary, _ in staged:
            fsync_file(temporary)
        for temporary, target in staged:
            os.replace(temporary, target)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return path


def load_card(model_path: Path) -> dict:
    """The model card saved beside a model."""
    return json.loads(card_path(Path(model_path)).read_text())
