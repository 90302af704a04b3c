"""Keep the API key and the base URL's login details out of every text and log record.

Two kinds of text can carry them. Texts the course writes (notices, exception messages)
go through :func:`redact`. Texts other libraries write go to :mod:`logging`, and there the
HTTP stack under ``google-genai`` is the risk. Measured with google-genai 3.6 (httpx2 and
httpcore2), root logging at DEBUG and a request to the loopback stub:

* ``httpcore2.connection`` and ``httpcore2.http11`` log each step of a request at DEBUG
  (``send_request_headers.started request=<Request [b'POST']>`` and so on: no headers);
  but a header value h11 refuses is logged in full, so a key with a line break printed
  ``send_request_headers.failed exception=LocalProtocolError("Illegal header value
  b'AIza...\\nX'")``: the key, in the log.
* ``httpx2`` logs every request at INFO: ``HTTP Request: POST http://user:pass@host/...``:
  the base URL's login details as typed.
* ``google_genai`` logged nothing of either.

:func:`key_problem` now refuses such a key before any request, so the first record is
no longer written; :data:`LOG_REDACTOR` is the second line, for what a later version of
the stack may log.

Why a filter on each logger of the stack, and not something else:

* a filter on a *handler* misses every handler added later (Streamlit's, a learner's
  ``logging.basicConfig``), and a filter on the *parent* logger ``httpcore2`` is not run
  for records of its children (``httpcore2.http11``): logging runs only the filters of
  the logger a record is made on. So the redactor is added to every logger of the stack
  that exists, again at each call (a child made since is covered from then on); then
  every handler, present or future, gets the record already cleaned;
* holding the stack's loggers at INFO would still let the URL through at INFO, hide the
  request lines a learner debugging the app wants, and fail when someone sets a child
  logger to DEBUG by name;
* replacing logging's record factory (``logging.setLogRecordFactory``) would touch every
  record of the process and be undone by any other library that replaces it.

The loggers are global to the process, so the redactor is too: one object, installed
once per logger, that only knows the secrets of the calls in progress. Each call adds its
key (:meth:`LogRedactor.hide`) and removes it when its last request has ended
(:meth:`LogRedactor.forget`), so a late record of a request abandoned at the timeout is
still cleaned.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable
from urllib.parse import unquote

from mri_course.config import redact_logins, redact_url

KEY_SHOWN_AS = "[API key]"
STACK_LOGGERS = frozenset(
    {
        "google_genai",  # the SDK's own loggers (google_genai._api_client, ...)
        "google",  # google.auth, and google.genai should a version name them so
        "httpx",
        "httpx2",
        "httpcore",
        "httpcore2",
        "h11",
        "h2",
        "hpack",
        "anyio",
        "aiohttp",
        "urllib3",
        "requests",
        "websockets",
        "mri_course",  # ours: an app's traceback may quote a fault
    }
)
"""The first part of the names of the loggers the redactor is put on."""
MIN_FRAGMENT = 8  # shorter pieces of a broken key are too common to hide everywhere


def login_of(url: str | None) -> str | None:
    """The ``user:password`` part of ``url``, or None."""
    if not url:
        return None
    netloc = url.partition("://")[2].split("/", 1)[0]
    login = netloc.rpartition("@")[0]
    return login or None


def secret_forms(secret: str) -> set[str]:
    """``secret`` as a log may write it: itself, escaped as in a ``repr`` of a str or of
    bytes, and, for a key broken by a line break or a space, each long enough piece."""
    forms = {secret, repr(secret)[1:-1], repr(secret.encode("utf-8", "replace"))[2:-1]}
    pieces = "".join(c if c.isascii() and c.isprintable() and c != " " else "\0" for c in secret)
    forms.update(piece for piece in pieces.split("\0") if len(piece) >= MIN_FRAGMENT)
    return {form for form in forms if form}


def redact(text: str, secret: str | None = None, url: str | None = None) -> str:
    """``text`` without ``secret`` (in any form of :func:`secret_forms`) and without the
    login details of ``url`` or of any URL it quotes."""
    if secret:
        for form in sorted(secret_forms(secret), key=len, reverse=True):
            text = text.replace(form, KEY_SHOWN_AS)
    if url and redact_url(url) != url:
        text = text.replace(url, redact_url(url))
    text = redact_logins(text)
    login = login_of(url)
    if login:  # quoted without its scheme, e.g. "learner:s3cret@host"
        text = text.replace(login + "@", "***@")
        password = unquote(login.partition(":")[2])
        if len(password) >= MIN_FRAGMENT:  # alone (a shorter one is too common a string)
            text = text.replace(password, "***")
    return text


class LogRedactor(logging.Filter):
    """A logging filter that takes the secrets of the calls in progress, and the login
    details of any URL, out of each record's message, traceback and stack."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: Counter[str] = Counter()  # each form, and how many calls hold it

    def __repr__(self) -> str:
        return f"<LogRedactor hiding {len(self._secrets)} secret forms>"

    def install(self) -> None:
        """Put this filter on every logger of the stack that exists now (idempotent)."""
        names = [name for name in list(logging.root.manager.loggerDict) if name]
        for name in {*names, *STACK_LOGGERS}:
            if name.split(".")[0] in STACK_LOGGERS:
                logger = logging.getLogger(name)
                if self not in logger.filters:
                    logger.addFilter(self)

    def hide(self, secrets: Iterable[str | None]) -> tuple[str, ...]:
        """Start hiding ``secrets`` (and install the filter); returns what to pass to
        :meth:`forget` when the call that uses them is over."""
        forms = tuple(form for secret in secrets if secret for form in secret_forms(secret))
        with self._lock:
            self._secrets.update(forms)
            self.install()
        return forms

    def forget(self, forms: tuple[str, ...]) -> None:
        """Stop hiding what :meth:`hide` returned, unless another call still holds it."""
        with self._lock:
            self._secrets.subtract(forms)
            for form in [form for form, held in self._secrets.items() if held <= 0]:
                del self._secrets[form]

    def clean(self, text: str) -> str:
        with self._lock:
            forms = sorted(self._secrets, key=len, reverse=True)
        for form in forms:
            text = text.replace(form, KEY_SHOWN_AS)
        return redact_logins(text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Clean ``record`` in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it itself, later
            return True
        cleaned = self.clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            cleaned = self.clean(text)
            if cleaned != text:  # a formatter then writes the cleaned text, not its own
                record.exc_info, record.exc_text = None, cleaned
        elif record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


LOG_REDACTOR = LogRedactor()
"""The one redactor of the process (logging's loggers are one per process too)."""
