"""Keep the API key and the base URL's login details out of every text and log record.

Texts the course writes (notices, exception messages) go through :func:`redact`. Texts
other libraries write go to :mod:`logging`, and the HTTP stack under ``google-genai`` may
log a request's URL, login and all, or a header value it refuses (the key) in full.
:data:`LOG_REDACTOR` cleans those records. It is a filter on each logger of the stack: a
filter on a handler would miss the handlers added later (Streamlit's, a learner's
``logging.basicConfig``), and logging runs only the filters of the logger a record is made
on, not those of its parents. Loggers are global to the process, so the redactor is one
object that each call tells its key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from urllib.parse import unquote

from mri_course.config import redact_logins

KEY_SHOWN_AS = "[API key]"
# The first part of the names of the loggers to clean: the SDK's, its HTTP stack's, ours
STACK_LOGGERS = frozenset(
    "google_genai google httpx httpx2 httpcore httpcore2 h11 h2 hpack anyio aiohttp "  # noqa: SIM905
    "urllib3 requests websockets mri_course".split()
)
MIN_FRAGMENT = 8  # shorter pieces of a broken key are too common to hide everywhere


def secret_forms(secret: str) -> set[str]:
    """``secret`` as a log may write it: itself, escaped as in the ``repr`` of a str or of
    bytes, and each long enough piece of a key broken by a line break or a space."""
    forms = {secret, repr(secret)[1:-1], repr(secret.encode("utf-8", "replace"))[2:-1]}
    pieces = "".join(c if c.isascii() and c.isprintable() and c != " " else "\0" for c in secret)
    forms.update(piece for piece in pieces.split("\0") if len(piece) >= MIN_FRAGMENT)
    return forms - {""}


def _hide(text: str, forms: Iterable[str]) -> str:
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, KEY_SHOWN_AS)
    return redact_logins(text)


def redact(text: str, secret: str | None = None, url: str | None = None) -> str:
    """``text`` without ``secret`` (in any of its :func:`secret_forms`) and without the login
    details of ``url``, even quoted without its scheme, nor of any URL it quotes."""
    text = _hide(text, secret_forms(secret) if secret else ())
    login = url.partition("://")[2].split("/", 1)[0].rpartition("@")[0] if url else ""
    if login:  # e.g. "learner:s3cret@host"
        text = text.replace(login + "@", "***@")
        password = unquote(login.partition(":")[2])
        if len(password) >= MIN_FRAGMENT:  # alone; a shorter one is too common a string
            text = text.replace(password, "***")
    return text


def scrub(text: str, secret: str | None, url: str | None = None) -> str:
    """:func:`redact`, on one line of at most 200 characters: to quote another program."""
    text = " ".join(redact(text, secret, url).split())
    return text if len(text) <= 200 else text[:197] + "..."


class LogRedactor(logging.Filter):
    """A logging filter that takes every secret it was told of, and the login details of
    any URL, out of each record's message, traceback and stack."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.forms: frozenset[str] = frozenset()

    def hide(self, secret: str) -> None:
        """Hide ``secret`` from now on, also from a late record of a request abandoned at
        the timeout, and put the filter on every logger of the stack that exists by now."""
        with self._lock:
            self.forms |= secret_forms(secret)
            for name in {*list(logging.root.manager.loggerDict), *STACK_LOGGERS}:
                if name.split(".")[0] in STACK_LOGGERS:
                    logging.getLogger(name).addFilter(self)  # once: it skips a known filter

    def clean(self, text: str) -> str:
        return _hide(text, self.forms)

    def filter(self, record: logging.LogRecord) -> bool:
        """Clean ``record`` in place; never drop it."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it itself, later
            return True
        if (cleaned := self.clean(message)) != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            if (cleaned := self.clean(text)) != text:  # a formatter then writes this text
                record.exc_info, record.exc_text = None, cleaned
        elif record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


LOG_REDACTOR = LogRedactor()
"""The one redactor of the process, as logging's loggers are one per process."""
