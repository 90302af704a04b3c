"""The app's Gemini parts that outlive one run of the page: the back-off every click and
every visitor share, a key pasted with a line break, and a base URL with login details.

Driven by Streamlit's AppTest and the loopback Gemini stub, with the helpers of
``test_app.py``. The back-off is one object per server process (``st.cache_resource``),
so a test that starts one moves its clock or forgets it at the end (``shared_backoff``).
"""

from __future__ import annotations

import importlib
import json
import logging
import time

import pytest
from bad_scans import scan_png
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from test_app import APP, CANNED, FAKE_KEY, TIMEOUT, assert_analysed, texts, upload

from mri_course.explain import OFFLINE_HEADING, RetryPolicy
from mri_course.testing.gemini_server import UNAVAILABLE, GeminiStub, answer_reply, error_reply


@pytest.fixture
def shared_backoff(monkeypatch):
    """The app's Gemini back-off, the very object its reruns share; afterwards its clock is
    put back and its faults forgotten, so no later test meets them."""
    monkeypatch.syspath_prepend(str(APP.parent))
    backoff = importlib.import_module("loaders").gemini_backoff()
    yield backoff
    backoff.clock = time.monotonic
    backoff.clear()


def session(key: str = FAKE_KEY) -> AppTest:
    """A visitor's page after its first run, with a Gemini key in the secrets."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["GEMINI_API_KEY"] = key
    at.session_state["model_key"] = "cnn"
    return at.run()


def explanation_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown if "explanation" in m.value.lower())


def test_a_gemini_outage_is_not_asked_again_until_the_back_off_is_over(app_env, shared_backoff):
    outage = [UNAVAILABLE] * RetryPolicy().attempts
    with GeminiStub([*outage, answer_reply(CANNED)]) as stub:
        app_env.setenv("MRI_COURSE_GEMINI_BASE_URL", stub.base_url)
        at = upload(session(), "outage.png", scan_png(seed=11))
        assert any(OFFLINE_HEADING in m.value for m in at.markdown), "503: the offline text"
        assert len(stub.requests) == len(outage)
        at.run()  # the next click, within the back-off: Gemini is not asked
        assert len(stub.requests) == len(outage)
        said = explanation_text(at)
        assert "s ago (server error); the offline explanation is shown" in said, said
        assert "Gemini will be asked again in" in said
        # the back-off is over: its clock moves on, nobody sleeps
        shared_backoff.clock = lambda: time.monotonic() + shared_backoff.window_s
        at.run()  # the next click asks again, and Gemini is back
        assert any(CANNED["summary"] in m.value for m in at.markdown)
        assert len(stub.requests) == len(outage) + 1
        at.run()  # and a real answer is kept
        assert len(stub.requests) == len(outage) + 1


def test_a_hanging_gemini_costs_one_timeout_not_one_per_click_or_visitor(app_env, shared_backoff):
    with GeminiStub([answer_reply(CANNED, delay_s=60)]) as stub:
        app_env.setenv("MRI_COURSE_GEMINI_BASE_URL", stub.base_url)
        app_env.setenv("MRI_COURSE_GEMINI_TIMEOUT", "1")
        at = upload(session(), "hang.png", scan_png(seed=7))
        assert_analysed(at)
        assert "did not answer within 1 s" in explanation_text(at)
        assert len(stub.requests) == 1
        at.run()  # a click
        assert "(no answer within 1 s); the offline" in explanation_text(at)
        other = upload(session(), "hang.png", scan_png(seed=7))  # another visitor
        assert "(no answer within 1 s); the offline" in explanation_text(other)
        assert len(stub.requests) == 1, "Gemini was asked again while it hangs"


def test_a_secret_with_a_line_break_is_a_bad_key_not_a_network_fault(app_env, caplog):
    caplog.set_level(logging.DEBUG)
    broken = "test-key-not\nreal-7f3a"  # a paste gone wrong
    with GeminiStub([answer_reply(CANNED)]) as stub:
        app_env.setenv("MRI_COURSE_GEMINI_BASE_URL", stub.base_url)
        at = upload(session(broken), "key.png", scan_png(seed=7))
        assert_analysed(at)
        said = explanation_text(at)
        assert "contains a line break; copy the key again without it" in said, said
        assert "reach" not in said
        assert stub.requests == [], "the key was sent"
    assert any("contains a line break" in w.value for w in at.sidebar.warning)
    assert not at.sidebar.success, "the sidebar does not call a broken key set"
    assert "Streamlit secret GEMINI_API_KEY contains a line break" in caplog.text
    for piece in broken.split():
        assert piece not in texts(at) and piece not in caplog.text


def test_the_login_of_the_base_url_is_shown_downloaded_and_logged_nowhere(
    app_env, shared_backoff, caplog, monkeypatch
):
    served = []  # every file the page serves: the overlay, the report
    serve = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        served.append(path_or_data if isinstance(path_or_data, bytes) else str(path_or_data))
        return serve(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    caplog.set_level(logging.DEBUG)
    with GeminiStub() as stub:
        url = stub.base_url.replace("http://", "http://learner:s3cret@")
        stub.reply_with(error_reply(500, "INTERNAL", f"proxy {url} failed"))  # echoes it
        app_env.setenv("MRI_COURSE_GEMINI_BASE_URL", url)
        at = upload(session(), "login.png", scan_png(seed=11))
        assert_analysed(at)
        assert stub.requests, "Gemini was asked"
    assert "proxy http://\\*\\*\\*@127.0.0.1" in explanation_text(at)  # escaped Markdown
    files = [item.decode("latin-1") if isinstance(item, bytes) else item for item in served]
    [report] = [json.loads(item) for item in files if '"prediction"' in item]
    assert "proxy http://***@127.0.0.1" in report["explanation"]["notice"]
    everything = "\n".join([texts(at), repr(at._tree), caplog.text, *files])
    assert "HTTP Request: POST http://***@127.0.0.1" in caplog.text  # the HTTP library's line
    assert "s3cret" not in everything and "learner" not in everything


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("MRI_COURSE_GEMINI_BASE_URL", "http://learner:s3cret@host:port/", "port"),
        ("MRI_COURSE_GEMINI_BASE_URL", "ftp://learner:s3cret@host/", "ftp://***@host/"),
        ("GEMINI_API_KEY", "learner-s3cret\nkey", "contains a line break; copy the key again"),
    ],
)
def test_a_bad_gemini_setting_is_named_on_the_page_without_its_secret(app_env, name, value, says):
    app_env.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    [error] = [e.value for e in at.error]
    assert name in error and says in error, error
    assert "s3cret" not in texts(at)
