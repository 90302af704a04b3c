"""Saving a trained model so that nothing good is ever lost, and its card tied to it.

The model, its card and its history are written to temporary files in the target folder
and renamed into place; a run that fails before that point leaves the earlier model
untouched, and a crash mid-write leaves no half-written file under the real name.

Three renames cannot happen at once, so a run killed between them would leave a new model
beside the old card, whose scores and settings are another model's. The card therefore
records the SHA-256 of the model file it describes (``model_sha256``), and every reader
checks it (:func:`checked_card`, :func:`load_card`): a card of another version of the
model is refused, not shown.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras

from mri_course.io import fsync_file, sha256_of_file
from mri_course.training.card import CARD_SUFFIX, HISTORY_SUFFIX
from mri_course.training.leftovers import run_temporary

MODEL_HASH = "model_sha256"
"""The card's record of which model file it describes: the SHA-256 of its bytes."""


class StaleCardError(ValueError):
    """A model card that describes another version of the model file beside it."""


def card_path(model_path: Path) -> Path:
    return Path(model_path).with_suffix(CARD_SUFFIX)


def history_path(model_path: Path) -> Path:
    return Path(model_path).with_suffix(HISTORY_SUFFIX)


def save_trained_model(model: keras.Model, card: dict, history: dict, path: Path) -> Path:
    """Save a model with its card and history (``name.card.json``, ``name.history.json``).

    All three are first written in full to temporary files; only then are they renamed
    into place, one after the other. A failure while writing leaves every old file as it
    was. The card is given the SHA-256 of the model file as written (``model_sha256``,
    replacing any it had) and is renamed last: a run killed between the renames leaves a
    card whose hash does not match the new model, which :func:`checked_card` refuses.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"models are saved as .keras files, got {path.name}")
    staged: list[tuple[Path, Path]] = []
    try:
        model_file = run_temporary(path, suffix=".keras")
        staged.append((model_file, path))
        model.save(model_file)
        fsync_file(model_file)
        card = {**card, MODEL_HASH: sha256_of_file(model_file)}  # the bytes renamed below
        for target, content in ((history_path(path), history), (card_path(path), card)):
            temporary = run_temporary(target)
            staged.append((temporary, target))
            temporary.write_text(json.dumps(content, indent=2), encoding="utf-8")
            fsync_file(temporary)
        for temporary, target in staged:  # model, history, then the card: last, see above
            os.replace(temporary, target)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return path


def _stale_note(model_path: Path, retrain: str | None) -> str:
    again = f"`{retrain}`" if retrain else "train it again"
    return (
        f"{card_path(model_path).name} describes another version of {model_path.name} (its "
        f"{MODEL_HASH} does not match the file; a training run was probably interrupted "
        "between saving the two), so its data, settings and scores may not be this model's. "
        f"To get a model and card that belong together, {again}; `mri-course evaluate "
        f"{model_path}` still scores the model file as it is."
    )


def checked_card(model_path: Path, retrain: str | None = None) -> tuple[dict | None, str]:
    """The card beside a model if it describes that model file, and a note (as
    :func:`mri_course.app.ood.detector_for` does for the feature detector):

    * ``(card, "")``: the card's ``model_sha256`` is the model file's;
    * ``(card, note)``: a card saved before cards recorded the hash, used as it is;
    * ``(None, note)``: no model, no card, or a card of another version of the model
      (``retrain``, the command that trains it, is named in that note).
    """
    model_path = Path(model_path)
    path = card_path(model_path)
    if not model_path.is_file():
        return None, f"no {model_path.name}, so no card to check against it"
    if not path.is_file():
        return None, f"no {path.name} beside the model"
    card = json.loads(path.read_text(encoding="utf-8"))
    recorded = card.get(MODEL_HASH)
    if recorded is None:
        return card, (
            f"{path.name} was saved before cards recorded their model's hash: it cannot be "
            f"checked against {model_path.name}"
        )
    if recorded != sha256_of_file(model_path):
        return None, _stale_note(model_path, retrain)
    return card, ""


def load_card(model_path: Path) -> dict:
    """The model card saved beside a model.

    Raises ``FileNotFoundError`` when there is none and :class:`StaleCardError` when it
    describes another version of the model file; a card from before cards recorded the
    hash is returned as it is (:func:`checked_card` says so).
    """
    model_path = Path(model_path)
    for path, what in ((model_path, "model"), (card_path(model_path), "model card")):
        if not path.is_file():
            raise FileNotFoundError(f"no {what} {path}")
    card, note = checked_card(model_path)
    if card is None:
        raise StaleCardError(note)
    return card
