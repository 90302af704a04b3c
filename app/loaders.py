"""What the app keeps between reruns: models (once per process) and explanations (per scan).

Streamlit runs the whole page script again on every click. Two caches keep that cheap:

* ``st.cache_resource`` keeps *one shared object* per key for the life of the server
  process: a loaded, compiled model is big, slow to make and safe to share between
  sessions, so every visitor uses the same one. It is never copied.
* ``st.cache_data`` keeps *a value* per key (its arguments, hashed) and hands each caller a
  fresh copy (it pickles it): right for results such as an explanation, which is cheap to
  copy, expensive to make (a Gemini call), and the same for the same inputs.

Arguments whose names start with ``_`` are not hashed into the key: the explanation cache
is keyed by the scan's fingerprint, the model and the method, not by the PNG bytes.

A third object lives for the whole process too: the Gemini back-off
(:class:`mri_course.app.backoff.GeminiBackoff`, in ``st.cache_resource``). After a quota, server,
timeout or network fault every rerun and every visitor get the offline explanation at once
for a short while, instead of asking Gemini again and waiting the whole timeout on each click.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from mri_course.app.analysis import CompiledModel
from mri_course.app.backoff import GeminiBackoff, gemini_setup
from mri_course.app.ood import FeatureDetector, detector_for
from mri_course.config import GEMINI_KEY_ENVS, Settings, key_problem
from mri_course.data.locate import find_dataset_root
from mri_course.data.release import CLASS_NAMES
from mri_course.evaluation.uncertainty import Uncertainty
from mri_course.explain import Explanation, PredictionFacts
from mri_course.training.registry import ModelEntry
from mri_course.training.save import checked_card

logger = logging.getLogger("mri_course.app")

SAMPLE_SPLIT = "Testing"
"""Samples come from the official test folder: scans the models never trained on."""


@dataclass(frozen=True)
class LoadedModel:
    """A course model ready to analyse scans, with what was saved beside it."""

    path: Path
    name: str  # the file's stem ("compact_cnn", "cnn_cpu"): unique in the models list
    compiled: CompiledModel
    detector: FeatureDetector | None  # None: no usable <model>.ood.npz beside the model
    detector_note: str  # why there is no detector ("" when there is one)
    card: dict | None  # None also for a card of another version of the model file
    uncertainty: Uncertainty | None  # the card's calibration (mri-course calibrate), if any
    load_seconds: float
    modified: float  # the file's mtime when it was loaded: part of every cache key
    card_note: str = ""  # why there is no card, or why it is unchecked ("" when checked)


@st.cache_resource(show_spinner="Loading the model (once for the whole server)...", max_entries=6)
def load_model(path: str, modified: float) -> LoadedModel:
    """Load, compile and warm up the model at ``path``; ``modified`` (its mtime) is part of
    the cache key, so a model trained again is loaded again."""
    import keras

    started = time.perf_counter()
    model_path = Path(path)
    compiled = CompiledModel(keras.models.load_model(model_path, compile=False))
    compiled.warm_up()
    card, card_note = checked_card(model_path)  # a stale card is left out, not trusted
    if card_note:
        logger.warning("%s: %s", model_path, card_note)
    detector, detector_note = detector_for(model_path)
    seconds = time.perf_counter() - started
    logger.info("loaded %s in %.1f s (modified %s)", model_path, seconds, modified)
    uncertainty = Uncertainty.from_card(card)
    return LoadedModel(
        model_path,
        model_path.stem,
        compiled,
        detector,
        detector_note,
        card,
        uncertainty,
        seconds,
        modified,
        card_note,
    )


def load_entry(entry: ModelEntry) -> LoadedModel:
    """The cached :class:`LoadedModel` of a course model that is available."""
    return load_model(str(entry.path), entry.path.stat().st_mtime)


def gemini_key(settings: Settings) -> tuple[str | None, str]:
    """The Gemini key and where it came from: Streamlit secrets first, then the settings.

    The key itself is only ever passed to Gemini's explainer; the page shows where it came
    from, never the key. A secret that cannot be a key (a line break inside, say) is
    passed on all the same: the explainer refuses it before any request and says so in
    the explanation's notice; the server's log names the secret.
    """
    for name in GEMINI_KEY_ENVS:  # the same names as secrets
        try:
            value = st.secrets.get(name)
        except (FileNotFoundError, KeyError):  # no secrets.toml at all: not an error
            value = None
        if isinstance(value, str) and value.strip():
            problem = key_problem(value.strip())
            if problem:
                logger.warning(
                    "Streamlit secret %s contains %s; copy the key again without it", name, problem
                )
            return value.strip(), f"Streamlit secret {name}"
    if settings.gemini_api_key:
        return settings.gemini_api_key, "environment variable"
    return None, "not set"


def gemini_setup_key(settings: Settings, api_key: str | None) -> str:
    """A cache key for "which Gemini would answer": the model, the address without its
    login details, and a hash of the address and the key.

    A new key, model or address must not reuse an explanation cached under the old one;
    the hash lets the key and the login take part without being stored.
    """
    setup = gemini_setup(settings.gemini_model, settings.gemini_base_url, api_key)
    return setup if api_key else f"{setup}, no key"


@st.cache_resource(show_spinner=False)
def gemini_backoff() -> GeminiBackoff:
    """The Gemini back-off of this server process: one object shared by every rerun and
    every session (``st.cache_resource``), keyed inside by the Gemini setup."""
    return GeminiBackoff()


class _PassingFailure(Exception):
    """Carries a fallback explanation out of the cache: Streamlit keeps return values, not
    exceptions, so a Gemini outage is not remembered after it ends."""

    def __init__(self, explanation: Explanation) -> None:
        super().__init__(explanation.notice)
        self.explanation = explanation


def cached_explanation(*args, **kwargs) -> Explanation:
    """:func:`_cached_explanation` with the server's Gemini back-off; a fallback for a
    passing fault (quota, server error, timeout, network), or one shown while the back-off
    lasts, is shown without being cached: once the back-off is over, a rerun asks Gemini
    again."""
    try:
        return _cached_explanation(*args, _backoff=gemini_backoff(), **kwargs)
    except _PassingFailure as failure:
        return failure.explanation


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_explanation(
    scan_fingerprint: str,
    model_path: str,
    model_modified: float,
    method: str,
    gemini_setup: str,
    _facts: PredictionFacts,
    _scan_png: bytes,
    _overlay_png: bytes,
    _settings: Settings,
    _api_key: str | None,
    _backoff: GeminiBackoff,
) -> Explanation:
    """The explanation of one (scan, model, method), asked once and then reused on reruns.

    Everything the answer depends on is in the hashed arguments: the scan's fingerprint,
    the model file (and when it changed), the method, and the Gemini setup. The facts and
    the images follow from those, so they are passed unhashed.
    """
    result = _backoff.explain(_facts, _scan_png, _overlay_png, _settings, api_key=_api_key)
    if result.retry_later:
        raise _PassingFailure(result)
    return result


def sample_root(settings: Settings) -> Path | None:
    """The dataset to pick samples from, or None (no dataset: the page offers upload only)."""
    if settings.data_dir is None:
        return None
    root = find_dataset_root(settings.data_dir)
    return root if root is not None and (root / SAMPLE_SPLIT).is_dir() else None


@st.cache_data(show_spinner=False)
def sample_scans(root: str) -> dict[str, list[str]]:
    """Class -> the relative paths of its test scans, sorted (listed once per dataset)."""
    folder = Path(root) / SAMPLE_SPLIT
    return {
        label: sorted(
            str(path.relative_to(root))
            for path in (folder / label).glob("*")
            if path.suffix.lower() in {".jpg", ".jpeg", ".png"}
        )
        for label in CLASS_NAMES
    }
