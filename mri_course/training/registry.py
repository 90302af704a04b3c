"""Which trained models this copy of the course has, and the CNN a lesson should work with.

Three models can exist: the compact CNN that ships with the course, the learner's own CNN
(``mri-course train cnn``, lesson 03) and the transfer model (``mri-course train xception``,
lesson 02). Lessons 05 to 09 and the app list them from here, so each says the same thing
about a missing model: that it is missing, and the command that makes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mri_course.config import Settings
from mri_course.models.shipped import SHIPPED_CNN
from mri_course.training.save import checked_card, history_path


@dataclass(frozen=True)
class ModelEntry:
    """One model the course knows about, whether or not it has been trained yet."""

    key: str  # "shipped_cnn", "cnn" or "xception"
    title: str  # for tables and the app's model choice
    path: Path
    how_to_get: str  # the command that creates it

    @property
    def available(self) -> bool:
        return self.path.is_file()

    def card(self) -> dict | None:
        """The model card saved next to the model, or None: no model, no card, or a card
        of another version of the model (:meth:`card_note` says which)."""
        return self.checked_card()[0]

    def card_note(self) -> str:
        """Why :meth:`card` is None or could not be checked ("" for a checked card)."""
        return self.checked_card()[1]

    def checked_card(self) -> tuple[dict | None, str]:
        """:func:`mri_course.training.save.checked_card` for this model."""
        return checked_card(self.path, self.how_to_get)

    def history(self) -> dict | None:
        """The per-epoch training history saved next to the model, or None."""
        path = history_path(self.path)
        return json.loads(path.read_text()) if path.is_file() else None

    def load(self):
        """The Keras model (raises FileNotFoundError naming the command that trains it)."""
        import keras

        if not self.available:
            raise FileNotFoundError(
                f"{self.title} is not trained yet ({self.path} is missing): run "
                f"`{self.how_to_get}`."
            )
        return keras.models.load_model(self.path)


def course_models(settings: Settings) -> list[ModelEntry]:
    """The shipped CNN, then the learner's CNN and transfer model of the current profile."""
    profile = settings.profile.name
    return [
        ModelEntry(
            "shipped_cnn",
            "Compact CNN (shipped with the course)",
            SHIPPED_CNN,
            "mri-course train cnn --profile cpu --epochs 70 --augmentation framed --head-crop "
            "--balance-planes --label-smoothing 0.1 --ship",
        ),
        ModelEntry(
            "cnn",
            f"Your compact CNN ({profile} profile)",
            settings.models_dir / f"cnn_{profile}.keras",
            f"mri-course train cnn --profile {profile}",
        ),
        ModelEntry(
            "xception",
            f"Xception transfer model ({profile} profile)",
            settings.models_dir / f"xception_{profile}.keras",
            f"mri-course train xception --profile {profile}",
        ),
    ]


def model_entry(settings: Settings, key: str) -> ModelEntry:
    for entry in course_models(settings):
        if entry.key == key:
            return entry
    known = ", ".join(e.key for e in course_models(settings))
    raise KeyError(f"no model {key!r}; known: {known}")


@dataclass(frozen=True)
class LessonModel:
    """A loaded model with what was saved beside it."""

    model: object  # keras.Model
    card: dict | None  # None also for a card of another version of the model
    history: dict | None
    where: str  # a sentence saying which model this is
    key: str  # its name in reports: "cnn" (yours) or "shipped_cnn" (the course's)
    card_note: str = ""  # why the card is None or unchecked ("" for a checked card)


def lesson_cnn(settings: Settings, survey=None, verbose: int = 0) -> LessonModel:
    """The CNN a lesson works with.

    On the real data: your CNN from lesson 03 if you trained one, else the shipped one. In
    the ``fast`` profile (synthetic scans) the shipped CNN would be meaningless, so it is
    your fast CNN, trained now (in seconds) if lesson 03 has not made it yet.
    """
    yours = model_entry(settings, "cnn")
    if yours.available:
        where = f"your CNN from lesson 03 ({yours.path})"
        return _lesson_model(yours, where)
    if settings.profile.synthetic:
        from mri_course.training import train

        result = train("cnn", settings, survey=survey, verbose=verbose)
        where = f"a CNN trained just now on the synthetic scans ({result.path})"
        return LessonModel(result.model, result.card, result.history, where, "cnn")
    shipped = model_entry(settings, "shipped_cnn")
    where = f"the CNN shipped with the course ({shipped.path}); train your own in lesson 03"
    return _lesson_model(shipped, where)


def lesson_xception(settings: Settings) -> LessonModel:
    """The Xception transfer model a lesson works with, and why, when it is a stand-in.

    On the real data: the one lesson 02 trained (``mri-course train xception``). Without
    it, and always in the ``fast`` profile, an untrained Xception with random weights
    stands in: its maps show how a method works, not what a model learnt, and ``where``
    gives the real reason (no trained model in the models folder, or the fast profile).
    """
    entry = model_entry(settings, "xception")
    if entry.available and not settings.profile.synthetic:
        return _lesson_model(entry, f"the trained transfer model ({entry.path})")
    if settings.profile.synthetic:
        why = "fast profile: synthetic scans, no downloaded weights"
    else:
        why = f"no trained Xception in {settings.models_dir}; train one with `{entry.how_to_get}`"
    from mri_course.models.transfer import build_transfer_model

    model = build_transfer_model(settings.profile.transfer_image_size, None, why_random=why)
    return LessonModel(model, None, None, f"random weights stand in ({why})", entry.key)


def _lesson_model(entry: ModelEntry, where: str) -> LessonModel:
    """``entry`` loaded; a card that does not describe it is left out, and ``where`` says so."""
    card, note = entry.checked_card()
    if card is None and note:
        where = f"{where}; no model card: {note}"
    return LessonModel(entry.load(), card, entry.history(), where, entry.key, note)
