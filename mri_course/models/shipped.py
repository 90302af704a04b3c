"""The CNN that ships with the course, trained on the real dataset, with its model card.

The app uses it out of the box, and lessons compare against it. ``mri-course train cnn``
never writes here: the learner's own models go to the models folder of the settings.
"""

from __future__ import annotations

import json
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "shipped"
SHIPPED_CNN = SHIPPED_DIR / "compact_cnn.keras"


def shipped_card() -> dict | None:
    """The shipped CNN's model card, or None if this copy of the course has none yet."""
    path = SHIPPED_CNN.with_suffix(".card.json")
    return json.loads(path.read_text()) if path.exists() else None


def for_inference(model):
    """An uncompiled copy of ``model``: saved, it holds no optimizer state (a third of the
    file size with Adam, which keeps two numbers per weight).

    Not ``keras.models.clone_model``: that compiles the copy like the original, and the
    optimizer's variables come back with the first save.
    """
    import keras

    copy = keras.Model.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def load_shipped_cnn():
    """The shipped CNN as a Keras model (raises FileNotFoundError, saying why, if absent)."""
    import keras

    if not SHIPPED_CNN.exists():
        raise FileNotFoundError(
            f"{SHIPPED_CNN} is missing: this copy of the course has no trained CNN. Train one "
            "with `mri-course train cnn --profile cpu`."
        )
    return keras.models.load_model(SHIPPED_CNN)
