"""Settings for the whole course, read once from environment variables.

Every lesson, command and test takes a :class:`Settings` object instead of reading the
environment itself, so the cost of a run (the *profile*) and the places it reads and writes
are decided in one spot and can be printed at the top of a lesson.

Environment variables
---------------------
``MRI_COURSE_PROFILE``  ``fast`` | ``cpu`` | ``full`` (default ``cpu``)
``MRI_COURSE_DATA``     folder of the Kaggle dataset (holds ``Training/`` and ``Testing/``)
``MRI_COURSE_MODELS``   folder where trained models and their model cards are saved
``MRI_COURSE_CACHE``    folder for caches: duplicate scans, the synthetic dataset
``MRI_COURSE_SEED``     integer seed for splits, shuffling and the synthetic data (default 42)
``MRI_COURSE_XCEPTION_WEIGHTS``  a local copy of Keras' Xception ImageNet weights (the
                        ``..._notop.h5`` file), for machines that cannot download them
``MRI_COURSE_GEMINI_MODEL``  the Gemini model that writes explanations (default
                        ``gemini-3.8-flash``, a stable Flash model)
``MRI_COURSE_GEMINI_BASE_URL``  another address for the Gemini API: a proxy, or the
                        loopback stub the tests and lesson 08 use
``MRI_COURSE_GEMINI_TIMEOUT``  seconds an explanation may wait for Gemini (default 30)
``GEMINI_API_KEY``, then ``GOOGLE_API_KEY``  the Gemini API key; without one the course
                        explains offline. The key is never printed.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

PROFILE_ENV = "MRI_COURSE_PROFILE"
DATA_ENV = "MRI_COURSE_DATA"
MODELS_ENV = "MRI_COURSE_MODELS"
CACHE_ENV = "MRI_COURSE_CACHE"
SEED_ENV = "MRI_COURSE_SEED"
XCEPTION_WEIGHTS_ENV = "MRI_COURSE_XCEPTION_WEIGHTS"
GEMINI_MODEL_ENV = "MRI_COURSE_GEMINI_MODEL"
GEMINI_BASE_URL_ENV = "MRI_COURSE_GEMINI_BASE_URL"
GEMINI_TIMEOUT_ENV = "MRI_COURSE_GEMINI_TIMEOUT"
GEMINI_KEY_ENVS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")  # the google-genai SDK's names

DEFAULT_GEMINI_MODEL = "gemini-3.8-flash"
"""A stable (GA) Flash model; the brief's ``gemini-1.5-flash`` is retired."""
DEFAULT_GEMINI_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Profile:
    """How expensive a run is allowed to be.

    ``fast`` makes every lesson and test run in seconds on synthetic data; ``cpu`` uses the
    real dataset at a size a laptop can train on; ``full`` is the original brief's recipe
    and wants a GPU.
    """

    name: str
    description: str
    synthetic: bool
    image_size: int  # the CNNs' input side, in pixels
    transfer_image_size: int  # Xception's input side (71 at the least)
    batch_size: int
    val_fraction: float = 0.15
    synthetic_train_per_class: int = 0
    synthetic_test_per_class: int = 0


PROFILES: dict[str, Profile] = {
    "fast": Profile(
        name="fast",
        description="synthetic brain-like images, 64 px, one epoch: for tests and CI",
        synthetic=True,
        image_size=64,
        transfer_image_size=72,
        batch_size=32,
        synthetic_train_per_class=30,
        synthetic_test_per_class=10,
    ),
    "cpu": Profile(
        name="cpu",
        description="the real dataset at 128 px, compact models: a laptop CPU in about an hour",
        synthetic=False,
        image_size=128,
        transfer_image_size=128,
        batch_size=32,
    ),
    "full": Profile(
        name="full",
        description="the real dataset, the brief's recipe (Xception at 299 px): wants a GPU",
        synthetic=False,
        image_size=224,
        transfer_image_size=299,
        batch_size=32,
    ),
}


class SettingsError(ValueError):
    """A setting has a value the course cannot use; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """Where the course reads and writes, and how expensive its runs are."""

    profile: Profile
    data_dir: Path | None
    models_dir: Path
    cache_dir: Path
    seed: int
    xception_weights: Path | None = None
    gemini_model: str = DEFAULT_GEMINI_MODEL
    gemini_base_url: str | None = None
    gemini_timeout_s: float = DEFAULT_GEMINI_TIMEOUT_S
    # repr=False keeps the key out of every printed or logged Settings.
    gemini_api_key: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        """The fields as a dataclass shows them, but the base URL without its login details
        (a repr lands in logs and tracebacks) and without the key."""
        shown = []
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "gemini_base_url" and value:
                value = redact_url(value)
            if item.repr:
                shown.append(f"{item.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def with_profile(self, name: str) -> Settings:
        """The same settings under another profile (e.g. for a command's ``--profile``)."""
        return replace(self, profile=_profile_named(name, source="profile"))

    def describe(self) -> str:
        """A few lines a lesson prints at its top so the learner knows what is running."""
        data = (
            "synthetic (generated in the cache folder)"
            if self.profile.synthetic
            else (
                str(self.data_dir)
                if self.data_dir
                else f"not set: {DATA_ENV} is empty, so the Kaggle download is tried"
            )
        )
        return "\n".join(
            [
                f"profile : {self.profile.name} ({self.profile.description})",
                f"data    : {data}",
                f"models  : {self.models_dir}",
                f"cache   : {self.cache_dir}",
                f"seed    : {self.seed}",
                f"gemini  : {self._describe_gemini()}",
            ]
        )

    def _describe_gemini(self) -> str:
        """The Gemini settings in words: whether a key is set, never the key itself."""
        key = "API key set" if self.gemini_api_key else "no API key: offline explanations"
        where = f", at {redact_url(self.gemini_base_url)}" if self.gemini_base_url else ""
        return f"{self.gemini_model}{where}, {key}"


def project_root() -> Path | None:
    """The checkout this package runs from, or None for a plain (non-editable) install."""
    candidate = Path(__file__).resolve().parents[1]
    return candidate if (candidate / "pyproject.toml").is_file() else None


def shown_path(path: Path | str) -> str:
    """A path as a report shows it: relative to the checkout when inside it, so a committed
    report names no machine's folders; else as given."""
    root = project_root()
    try:
        return str(Path(path).resolve().relative_to(root)) if root else str(path)
    except ValueError:
        return str(path)


def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or Path.home())


def _default_models_dir(environ: Mapping[str, str]) -> Path:
    root = project_root()
    if root is not None:
        return root / "models"
    return _home(environ) / ".local" / "share" / "mri-course" / "models"


def _default_cache_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(_home(environ) / ".cache")
    return Path(base) / "mri-course"


def _profile_named(name: str, source: str) -> Profile:
    key = name.strip().lower()
    if key not in PROFILES:
        raise SettingsError(
            f"{source}={name!r} is not a profile. Use one of: {', '.join(PROFILES)} "
            "(fast = synthetic data for tests, cpu = real data on a laptop, full = GPU)."
        )
    return PROFILES[key]


def _path_setting(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    if value == "~" or value.startswith("~/"):
        value = str(_home(environ)) + value[1:]
    return Path(value).resolve()


def _timeout_setting(environ: Mapping[str, str]) -> float:
    text = environ.get(GEMINI_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_GEMINI_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise SettingsError(
            f"{GEMINI_TIMEOUT_ENV}={text!r} is not a positive number of seconds, e.g. 30."
        )
    return seconds


def key_problem(value: str) -> str | None:
    """What keeps ``value`` from being an API key ("a line break", "a space", ...), or None.

    A key is printable ASCII without spaces. A paste gone wrong breaks that, and the HTTP
    library then fails deep inside with a message about headers or a network, and may log
    the key while doing so: checking first gives a message that says what to do. The
    answer never quotes the key.
    """
    if any(c in value for c in "\r\n"):
        return "a line break"
    if any(c.isascii() and not c.isprintable() for c in value):
        return "a control character"
    if " " in value:
        return "a space"
    if not value.isascii():
        return "a character that is not ASCII"
    return None


def _gemini_key(environ: Mapping[str, str]) -> str | None:
    """The first key set, without the spaces and line breaks around it; refused, without
    echoing it, when it cannot be a key (see :func:`key_problem`)."""
    for name in GEMINI_KEY_ENVS:
        value = environ.get(name, "").strip()
        if value:
            problem = key_problem(value)
            if problem:
                raise SettingsError(f"{name} contains {problem}; copy the key again without it.")
            return value
    return None


_LOGIN = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s]*@")
"""The login details of a URL in a text: from ``scheme://`` to the last ``@`` before the
path or a space. Greedy, so a password holding an ``@`` (or a ``?``) goes whole; at worst
it hides more than the login, never less."""


def redact_url(url: str) -> str:
    """``url`` with any login details replaced by ``***`` (``http://user:pass@host`` ->
    ``http://***@host``), so a base URL can be shown, logged and saved. It never raises,
    even for a URL that does not parse: the message about a bad URL goes through it too."""
    return redact_logins(url)


def redact_logins(text: str) -> str:
    """``text`` with the login details of every URL in it replaced by ``***``: for texts
    that quote a URL another program wrote (an HTTP library's log line, a proxy's error)."""
    return _LOGIN.sub(r"\1***@", text)


def _base_url(environ: Mapping[str, str]) -> str | None:
    """The base URL, checked as far as the SDK needs: http(s), a host, a port that is a
    number, no spaces, no query or fragment (the SDK appends its paths to it). Its login
    details, if any, stay out of every message."""
    value = environ.get(GEMINI_BASE_URL_ENV, "").strip()
    if not value:
        return None
    example = "e.g. http://127.0.0.1:8080"
    if any(c.isspace() or not c.isprintable() for c in value):  # not echoed: it may split
        raise SettingsError(  # the login where the redaction would not see it
            f"{GEMINI_BASE_URL_ENV} contains a space or a line break: set the address "
            f"alone, {example}"
        )
    if "?" in value or "#" in value:  # not echoed: a query may hold a key
        raise SettingsError(
            f"{GEMINI_BASE_URL_ENV} has a query or a fragment (?... or #...), which the SDK "
            f"cannot add its paths to: give the address alone, {example}"
        )
    shown = f"{GEMINI_BASE_URL_ENV}={redact_url(value)!r}"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
    except ValueError as error:  # also brackets that do not close
        if "port" in str(error).lower():
            raise SettingsError(
                f"{shown} has a port that is not a number from 0 to 65535, {example}"
            ) from None
        raise SettingsError(f"{shown} is not an http(s) address with a host, {example}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{shown} is not an http(s) address with a host, {example}")
    return value


GEMINI_MODEL_NAME = re.compile(r"(models/)?[A-Za-z0-9][A-Za-z0-9._-]*")
"""What a Gemini model name looks like ("gemini-2.5-flash"): it becomes part of the request's
address, so a space, a slash or a query there would send the request somewhere else."""


def _gemini_model(environ: Mapping[str, str]) -> str:
    name = environ.get(GEMINI_MODEL_ENV, "").strip() or DEFAULT_GEMINI_MODEL
    if not GEMINI_MODEL_NAME.fullmatch(name):
        raise SettingsError(
            f"{GEMINI_MODEL_ENV}={name!r} is not a model name: use letters, digits, dots and "
            f"dashes, e.g. {DEFAULT_GEMINI_MODEL}."
        )
    return name


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (default: the process environment).

    Raises :class:`SettingsError` naming the variable when a value is unusable, so a typo
    in ``MRI_COURSE_PROFILE`` fails at once instead of silently running the wrong profile.
    """
    env = os.environ if environ is None else environ
    profile = _profile_named(env.get(PROFILE_ENV, "cpu") or "cpu", source=PROFILE_ENV)
    seed_text = env.get(SEED_ENV, "42").strip() or "42"
    try:
        seed = int(seed_text)
    except ValueError:
        raise SettingsError(f"{SEED_ENV}={seed_text!r} is not an integer, e.g. 42.") from None
    if not 0 <= seed < 2**32:  # NumPy's and Keras' global seeds take 32 bits, unsigned
        raise SettingsError(
            f"{SEED_ENV}={seed_text!r} is out of range: use a whole number from 0 to "
            f"{2**32 - 1}, e.g. 42."
        )
    return Settings(
        profile=profile,
        data_dir=_path_setting(env, DATA_ENV),
        models_dir=_path_setting(env, MODELS_ENV) or _default_models_dir(env),
        cache_dir=_path_setting(env, CACHE_ENV) or _default_cache_dir(env),
        seed=seed,
        xception_weights=_path_setting(env, XCEPTION_WEIGHTS_ENV),
        gemini_model=_gemini_model(env),
        gemini_base_url=_base_url(env),
        gemini_timeout_s=_timeout_setting(env),
        gemini_api_key=_gemini_key(env),
    )
