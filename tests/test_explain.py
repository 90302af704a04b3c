"""mri_course.explain: facts, the grounded prompt, the answer parser, the offline explainer,
and the real google-genai SDK against a loopback server that answers like the Gemini API."""

from __future__ import annotations

import base64
import copy
import dataclasses
import io
import json
import logging
import math
import pickle
import socket
import time
from dataclasses import asdict, replace

import numpy as np
import pytest
from PIL import Image

from mri_course.app.backoff import GeminiBackoff
from mri_course.config import DEFAULT_GEMINI_MODEL, SettingsError, load_settings
from mri_course.data.release import CLASS_NAMES
from mri_course.evaluation.uncertainty import guarantee, set_in_words
from mri_course.explain import (
    OFFLINE_HEADING,
    AnswerError,
    Explanation,
    FactsError,
    GeminiFault,
    PredictionFacts,
    RetryPolicy,
    build_prompt,
    explain,
    offline_explanation,
    parse_answer,
)
from mri_course.explain.client import ask_gemini
from mri_course.explain.parse import NOT_A_DIAGNOSIS
from mri_course.explain.prompt import measured_lines
from mri_course.saliency.summary import RegionSummary
from mri_course.testing.gemini_server import (
    INVALID_KEY,
    NO_SUCH_MODEL,
    QUOTA,
    SERVER_ERROR,
    UNAVAILABLE,
    GeminiStub,
    StubReply,
    answer_reply,
    blocked_reply,
    empty_reply,
    error_reply,
)

KEY = "AIzaTEST-secret-key-0123456789"
LEGEND = (
    "dark red = strongest attention, yellow/green = medium, blue = weakest; "
    "uncoloured = below the 80th percentile"
)
SUMMARY = RegionSummary(
    method="gradcam",
    dominant_region="upper left",
    mass_by_region={
        "upper left": 0.46,
        "upper right": 0.10,
        "lower left": 0.14,
        "lower right": 0.10,
        "centre": 0.20,
    },
    peak_region="upper left",
    peak_value=1.0,
    brain_area_above_threshold=0.12,
    threshold_percentile=80.0,
)
GOOD_ANSWER = {
    "summary": "The model predicts glioma with 97.1% confidence; meningioma is far behind.",
    "regions": "The dark red area sits in the upper part of the image left, on brain tissue.",
    "caveats": ["Grad-CAM is coarse."],
}


@pytest.fixture
def facts() -> PredictionFacts:
    return PredictionFacts.from_prediction(
        [0.9712, 0.0211, 0.0050, 0.0027], CLASS_NAMES, SUMMARY, LEGEND, "cnn_cpu"
    )


def _png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


SCAN, OVERLAY = _png(1), _png(2)


@pytest.fixture
def stub():
    """A loopback Gemini API (ThreadingHTTPServer on 127.0.0.1, port 0, in a thread)."""
    with GeminiStub([answer_reply(GOOD_ANSWER)]) as server:
        yield server


def _settings(stub: GeminiStub, timeout_s: float = 5.0, key: str | None = KEY):
    base = load_settings({})
    return replace(
        base, gemini_base_url=stub.base_url, gemini_api_key=key, gemini_timeout_s=timeout_s
    )


class FakeSleep:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


# --- settings ---------------------------------------------------------------------------


def test_gemini_settings_default_to_a_current_flash_model_and_no_key():
    settings = load_settings({})
    assert settings.gemini_model == DEFAULT_GEMINI_MODEL
    assert "flash" in DEFAULT_GEMINI_MODEL and "1.5" not in DEFAULT_GEMINI_MODEL
    assert settings.gemini_base_url is None
    assert settings.gemini_timeout_s == 30.0
    assert settings.gemini_api_key is None
    assert "no API key" in settings.describe()


def test_gemini_settings_come_from_the_environment():
    settings = load_settings(
        {
            "MRI_COURSE_GEMINI_MODEL": "gemini-2.5-flash",
            "MRI_COURSE_GEMINI_BASE_URL": "http://127.0.0.1:9",
            "MRI_COURSE_GEMINI_TIMEOUT": "2.5",
            "GOOGLE_API_KEY": "google-key",
            "GEMINI_API_KEY": KEY,
        }
    )
    assert settings.gemini_model == "gemini-2.5-flash"
    assert settings.gemini_base_url == "http://127.0.0.1:9"
    assert settings.gemini_timeout_s == 2.5
    assert settings.gemini_api_key == KEY  # GEMINI_API_KEY comes first
    assert load_settings({"GOOGLE_API_KEY": "google-key"}).gemini_api_key == "google-key"


@pytest.mark.parametrize("value", ["abc", "0", "-3", "nan", "inf"])
def test_a_bad_timeout_names_the_setting(value):
    with pytest.raises(SettingsError, match=f"MRI_COURSE_GEMINI_TIMEOUT='{value}'"):
        load_settings({"MRI_COURSE_GEMINI_TIMEOUT": value})


def test_the_key_is_never_in_the_settings_description_or_repr():
    settings = load_settings({"GEMINI_API_KEY": KEY})
    assert settings.gemini_api_key == KEY
    for text in (settings.describe(), repr(settings), str(settings)):
        assert KEY not in text
    assert "API key set" in settings.describe()


# --- facts ------------------------------------------------------------------------------


def test_facts_rank_the_classes_whatever_order_they_come_in():
    order = ("pituitary", "glioma", "notumor", "meningioma")
    facts = PredictionFacts.from_prediction([0.05, 0.55, 0.1, 0.3], order, SUMMARY, LEGEND, "m")
    assert (facts.predicted_class, facts.runner_up) == ("glioma", "meningioma")
    assert facts.confidence == pytest.approx(0.55)
    assert facts.runner_up_probability == pytest.approx(0.3)
    assert list(facts.probabilities) == list(CLASS_NAMES)
    assert facts.probabilities["pituitary"] == pytest.approx(0.05)
    assert facts.margin == pytest.approx(0.25)
    assert facts.method == "gradcam" and facts.dominant_share == pytest.approx(0.46)


def test_facts_cannot_be_changed_but_can_be_kept(facts):
    with pytest.raises(AttributeError):
        facts.confidence = 0.5
    with pytest.raises(AttributeError):
        facts.region_summary.dominant_region = "centre"
    assert pickle.loads(pickle.dumps(facts)) == facts  # Streamlit's cache pickles
    assert copy.deepcopy(facts) == facts
    assert json.loads(json.dumps(asdict(facts)))["region_summary"]["peak_region"] == "upper left"


@pytest.mark.parametrize(
    ("probabilities", "names", "summary", "legend", "says"),
    [
        ([2.1, -0.3, 0.4, 1.0], CLASS_NAMES, SUMMARY, LEGEND, "not all between 0 and 1"),
        ([0.5, 0.3, 0.1, 0.05], CLASS_NAMES, SUMMARY, LEGEND, "sum to 0.9500, not 1"),
        ([[0.7, 0.1, 0.1, 0.1]], CLASS_NAMES, SUMMARY, LEGEND, "shape (1, 4)"),
        ([0.7, 0.2, 0.1], CLASS_NAMES[:3], SUMMARY, LEGEND, "four classes"),
        ([0.7, 0.1, 0.1, 0.1], ("a", "b", "c", "d"), SUMMARY, LEGEND, "four classes"),
        ([0.7, 0.1, 0.1, 0.1], CLASS_NAMES, asdict(SUMMARY), LEGEND, "pass the saliency module"),
        ([0.7, 0.1, 0.1, 0.1], CLASS_NAMES, SUMMARY, "  ", "colour_legend is empty"),
    ],
)
def test_facts_refuse_bad_inputs_with_a_clear_message(probabilities, names, summary, legend, says):
    with pytest.raises(FactsError) as raised:
        PredictionFacts.from_prediction(probabilities, names, summary, legend, "cnn_cpu")
    assert says in str(raised.value)


# --- prompt, parser, offline explanation ------------------------------------------------


def test_the_prompt_is_grounded_in_the_facts(facts):
    prompt = build_prompt(facts)
    for fact in ("glioma, 97.1%", "meningioma, 2.1%", "upper left 46.0%", LEGEND, "Grad-CAM"):
        assert fact in prompt
    assert "image left" in prompt and "not a diagnosis" in prompt
    assert all(f'"{name}"' in prompt for name in ("summary", "regions", "caveats"))
    assert "cyan" not in prompt.lower()


def test_the_parser_reads_a_fenced_answer_and_adds_the_diagnosis_caveat():
    answer = parse_answer(
        '```json\n{"summary": " S ", "regions": "R", "caveats": [" C ", ""]}\n```'
    )
    assert (answer.summary, answer.regions) == ("S", "R")
    assert answer.caveats == ("C", NOT_A_DIAGNOSIS)
    own = parse_answer('{"summary": "S", "regions": "R", "caveats": ["This is not a diagnosis."]}')
    assert own.caveats == ("This is not a diagnosis.", NOT_A_DIAGNOSIS)
    sly = parse_answer(
        '{"summary": "S", "regions": "R", "caveats": ["No other findings; the diagnosis is '
        'a meningioma."]}'
    )
    assert sly.caveats[-1] == NOT_A_DIAGNOSIS, "a mention of a diagnosis is no disclaimer"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("The model looked at the tumour.", "not JSON"),
        ('["summary"]', "JSON list"),
        ('{"summary": "S", "caveats": []}', "lacks regions"),
        ('{"summary": "", "regions": "R", "caveats": []}', '"summary" must be a non-empty text'),
        ('{"summary": "S", "regions": "R", "caveats": "none"}', '"caveats" must be a list'),
    ],
)
def test_the_parser_names_what_is_wrong(text, says):
    with pytest.raises(AnswerError) as raised:
        parse_answer(text)
    assert says in str(raised.value)


def test_the_offline_explanation_is_labelled_and_built_from_the_facts(facts):
    explanation = offline_explanation(facts)
    assert explanation.source == "offline" and explanation.heading == OFFLINE_HEADING
    assert "Offline explanation, not from Gemini" in explanation.to_markdown()
    assert "glioma with 97.1% confidence" in explanation.summary
    assert "meningioma at 2.1%" in explanation.summary
    assert "46.0%, in the upper left of the image" in explanation.regions
    assert LEGEND in explanation.regions and "patient's left" not in explanation.regions
    assert explanation.caveats[-1] == NOT_A_DIAGNOSIS
    assert "torn" not in explanation.summary


def test_the_offline_explanation_says_when_the_model_is_torn():
    torn = PredictionFacts.from_prediction(
        [0.05, 0.45, 0.1, 0.4], CLASS_NAMES, SUMMARY, LEGEND, "m"
    )
    explanation = offline_explanation(torn, notice="Gemini is away.")
    assert "torn between meningioma and pituitary tumour" in explanation.summary
    assert any("runner-up is close" in caveat for caveat in explanation.caveats)
    assert "_Gemini is away._" in explanation.to_markdown()
    assert "(Gemini is away.)" in explanation.to_text()


def test_an_explanation_knows_only_two_sources():
    with pytest.raises(ValueError, match="source"):
        Explanation("s", "r", (), source="guess")


# --- the real SDK against the loopback Gemini API ---------------------------------------


def test_gemini_answer_is_parsed_and_labelled(facts, stub):
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub))
    assert explanation.source == "gemini" and explanation.notice is None
    assert explanation.gemini_model == DEFAULT_GEMINI_MODEL
    assert explanation.heading == f"Explanation by Gemini ({DEFAULT_GEMINI_MODEL})"
    assert explanation.summary == GOOD_ANSWER["summary"]
    assert explanation.regions == GOOD_ANSWER["regions"]
    assert explanation.caveats == ("Grad-CAM is coarse.", NOT_A_DIAGNOSIS)
    [request] = stub.requests
    assert request.path.endswith(f"/models/{DEFAULT_GEMINI_MODEL}:generateContent")
    assert request.api_key == KEY  # the SDK sends it in the x-goog-api-key header
    assert request.headers["x-server-timeout"] == "5"  # the timeout reached the SDK


def _decode(data: str) -> bytes:
    """Proto JSON bytes: base64, standard or URL-safe (this SDK writes URL-safe)."""
    return base64.urlsafe_b64decode(data.replace("+", "-").replace("/", "_"))


def test_the_request_carries_both_images_and_the_facts(facts, stub):
    explain(facts, SCAN, OVERLAY, _settings(stub))
    body = stub.requests[0].body
    parts = [part for content in body["contents"] for part in content["parts"]]
    images = [part["inlineData"] for part in parts if "inlineData" in part]
    # proto JSON accepts both spellings; this SDK writes mime_type
    mime_types = [image.get("mimeType", image.get("mime_type")) for image in images]
    assert mime_types == ["image/png", "image/png"]
    assert [_decode(image["data"]) for image in images] == [SCAN, OVERLAY]
    text = "\n".join(part["text"] for part in parts if "text" in part)
    assert text.index("scan") < text.index("overlay")  # the order the images come in
    for fact in ("glioma", "97.1%", "meningioma", "2.1%", "upper left", LEGEND):
        assert fact in text
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["required"] == ["summary", "regions", "caveats"]


FAULTS = {
    "invalid key": ([INVALID_KEY], "refused the API key", 1),
    "retired model": ([NO_SUCH_MODEL], f"no model '{DEFAULT_GEMINI_MODEL}'", 1),
    "quota": ([QUOTA], "quota is used up for now (429 RESOURCE_EXHAUSTED", 3),
    "server error": ([SERVER_ERROR], "server error (500 INTERNAL", 3),
    "overloaded": ([UNAVAILABLE], "server error (503 UNAVAILABLE", 3),
    "other refusal": (
        [error_reply(400, "INVALID_ARGUMENT", "Unable to process input image.")],
        "refused the request (400 INVALID_ARGUMENT: Unable to process input image)",
        1,
    ),
    "blocked": ([blocked_reply("SAFETY")], "declined to answer (blocked: SAFETY)", 1),
    "blocked candidate": ([empty_reply("SAFETY")], "declined to answer (finish reason: SAFETY)", 1),
    "empty": ([empty_reply("STOP")], "empty answer (finish reason: STOP)", 1),
    "a JSON list": ([answer_reply(["glioma"])], "expected shape: the answer is a JSON list", 1),
    "a proxy's page": ([StubReply(body="<html>Bad gateway</html>")], "failed unexpectedly", 1),
    "no usable field": (
        [answer_reply({"label": "glioma", "caveats": []})],
        "expected shape: the answer lacks summary, regions",
        1,
    ),
}


SALVAGED = {
    "plain text": ("I think it is a glioma.", "I think it is a glioma.", "plain text"),
    "a caveat as a string": (
        {**GOOD_ANSWER, "caveats": "Grad-CAM is coarse."},
        GOOD_ANSWER["summary"],
        "caveats missing or not as asked",
    ),
    "no regions": (
        {"summary": "S", "caveats": []},
        "S",
        "regions missing or not as asked",
    ),
}


@pytest.mark.parametrize("case", SALVAGED, ids=str)
def test_an_answer_in_a_slightly_different_shape_is_used_and_says_so(facts, stub, case):
    reply, summary, note = SALVAGED[case]
    stub.reply_with(answer_reply(reply))
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub), sleep=FakeSleep())
    assert explanation.source == "gemini" and explanation.summary == summary
    assert note in explanation.notice
    assert explanation.caveats[-1] == NOT_A_DIAGNOSIS
    if case == "a caveat as a string":
        assert explanation.caveats[0] == "Grad-CAM is coarse."
    if case == "no regions":
        assert "did not describe the regions" in explanation.regions


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_each_fault_gives_the_offline_explanation_with_a_clear_notice(facts, stub, fault):
    replies, says, requests = FAULTS[fault]
    stub.reply_with(*replies)
    sleep = FakeSleep()
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub), sleep=sleep)
    assert explanation.source == "offline" and explanation.heading == OFFLINE_HEADING
    assert says in explanation.notice
    assert len(stub.requests) == requests  # only 429 and 5xx are retried
    assert explanation.caveats[-1] == NOT_A_DIAGNOSIS
    if requests > 1:
        assert sleep.waits == [1.0, 2.0]  # exponential backoff
        assert "Tried 3 times" in explanation.notice


def test_a_429_is_retried_with_backoff_and_then_succeeds(facts, stub):
    stub.reply_with(QUOTA, answer_reply(GOOD_ANSWER))
    sleep = FakeSleep()
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub), sleep=sleep)
    assert explanation.source == "gemini"
    assert len(stub.requests) == 2 and sleep.waits == [1.0]


def test_the_wait_the_server_asks_for_is_honoured(facts, stub):
    stub.reply_with(
        error_reply(503, "UNAVAILABLE", "busy", retry_after_s=3), answer_reply(GOOD_ANSWER)
    )
    sleep = FakeSleep()
    assert explain(facts, SCAN, OVERLAY, _settings(stub), sleep=sleep).source == "gemini"
    assert sleep.waits == [3.0]


def test_a_wait_beyond_the_budget_is_not_taken(facts, stub):
    retry_info = {
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        "retryDelay": "37s",
    }
    quota = StubReply(
        status=429,
        body={
            "error": {
                "code": 429,
                "message": "You exceeded your current quota.",
                "status": "RESOURCE_EXHAUSTED",
                "details": [retry_info],
            }
        },
    )
    stub.reply_with(quota, answer_reply(GOOD_ANSWER))
    sleep = FakeSleep()
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub), sleep=sleep)
    assert explanation.source == "offline" and "asked to wait 37 s" in explanation.notice
    assert sleep.waits == [] and len(stub.requests) == 1


def test_the_total_backoff_is_bounded(facts, stub):
    stub.reply_with(UNAVAILABLE)
    sleep = FakeSleep()
    policy = RetryPolicy(attempts=10, first_delay_s=1.0, max_total_delay_s=4.0)
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub), retry=policy, sleep=sleep)
    assert explanation.source == "offline" and explanation.notice.endswith("Tried 3 times.")
    assert "asked to wait" not in explanation.notice  # the course's own backoff ran out
    assert sleep.waits == [1.0, 2.0] and len(stub.requests) == 3  # a wait of 4 would pass 4 s


def test_a_slow_gemini_times_out_within_the_bound(facts, stub):
    stub.reply_with(answer_reply(GOOD_ANSWER, delay_s=10))
    start = time.monotonic()
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub, timeout_s=0.5), sleep=FakeSleep())
    took = time.monotonic() - start
    assert explanation.source == "offline" and "did not answer within 0.5 s" in explanation.notice
    assert took < 3.0  # the timeout, plus starting the SDK


def test_a_trickling_gemini_cannot_outlast_the_timeout(facts, stub):
    stub.reply_with(replace(answer_reply(GOOD_ANSWER), trickle_s=0.2))  # each read is quick
    start = time.monotonic()
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub, timeout_s=1.0), sleep=FakeSleep())
    assert explanation.source == "offline" and "did not answer within 1 s" in explanation.notice
    assert time.monotonic() - start < 3.0


def test_an_unreachable_gemini_is_a_network_fault(facts, stub):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = replace(_settings(stub), gemini_base_url=f"http://127.0.0.1:{port}")
    explanation = explain(facts, SCAN, OVERLAY, settings, sleep=FakeSleep())
    assert explanation.source == "offline"
    assert f"Could not reach Gemini at http://127.0.0.1:{port}" in explanation.notice
    with_login = replace(settings, gemini_base_url=f"http://user:s3cret@127.0.0.1:{port}")
    explanation = explain(facts, SCAN, OVERLAY, with_login, sleep=FakeSleep())
    assert f"at http://***@127.0.0.1:{port}" in explanation.notice
    assert "s3cret" not in explanation.notice and "user:" not in explanation.notice


def test_no_key_gives_the_offline_explanation_without_a_network_call(facts, stub):
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub, key=None))
    assert explanation.source == "offline" and "No Gemini API key" in explanation.notice
    assert stub.requests == []


def test_a_key_given_by_the_app_overrides_the_settings(facts, stub):
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub, key=None), api_key=KEY)
    assert explanation.source == "gemini" and stub.requests[0].api_key == KEY


def test_a_vertex_setting_in_the_environment_does_not_divert_the_key(facts, stub, monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    assert explain(facts, SCAN, OVERLAY, _settings(stub)).source == "gemini"


def test_images_must_be_png_bytes(facts, stub):
    with pytest.raises(ValueError, match="overlay_png is not a PNG"):
        explain(facts, SCAN, b"GIF89a...", _settings(stub))
    with pytest.raises(TypeError, match="scan_png must be PNG bytes"):
        explain(facts, np.zeros((4, 4)), OVERLAY, _settings(stub))


LEAKY_REPLIES = [
    error_reply(400, "INVALID_ARGUMENT", f"API key not valid: {KEY}"),  # a proxy echoing it
    error_reply(429, "RESOURCE_EXHAUSTED", f"quota of key {KEY} exceeded"),
    error_reply(500, "INTERNAL", f"failed for {KEY}"),
    error_reply(418, "UNKNOWN", f"teapot {KEY}"),
    StubReply(body={"usageMetadata": {"promptTokenCount": KEY}}),  # unreadable, echoes it
    answer_reply(f'{{"summary": "{KEY}", "regions": "", "caveats": []}}'),
]


@pytest.mark.parametrize(
    "reply", LEAKY_REPLIES, ids=["400", "429", "500", "418", "unreadable", "bad answer"]
)
def test_the_key_never_appears_in_notices_logs_output_or_exceptions(
    facts, stub, reply, caplog, capsys
):
    caplog.set_level(logging.DEBUG)  # every logger: ours, the SDK's, httpx's
    stub.reply_with(reply)
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub), sleep=FakeSleep())
    assert explanation.source == "offline" or reply is LEAKY_REPLIES[-1]  # that one is salvaged
    assert KEY not in explanation.notice and KEY not in explanation.to_markdown()
    assert KEY not in explanation.to_text()
    with pytest.raises((GeminiFault, AnswerError)) as raised:
        text = ask_gemini(
            "prompt", SCAN, OVERLAY, api_key=KEY, model="m", base_url=stub.base_url,
            timeout_s=5, sleep=FakeSleep(),
        )  # fmt: skip
        parse_answer(text)
    assert KEY not in str(raised.value) and KEY not in repr(raised.value)
    hidden = raised.value.__context__ is None or raised.value.__suppress_context__
    assert raised.value.__cause__ is None and hidden  # no SDK error text in a traceback
    assert caplog.records, "nothing was logged: the check below would prove nothing"
    assert KEY not in caplog.text
    assert all(KEY not in record.getMessage() for record in caplog.records)
    captured = capsys.readouterr()
    assert KEY not in captured.out and KEY not in captured.err


def test_the_waits_between_retries_do_not_eat_the_timeout(facts, stub):
    stub.reply_with(UNAVAILABLE, answer_reply(GOOD_ANSWER))
    policy = RetryPolicy(first_delay_s=1.2, max_total_delay_s=2.0)  # a wait longer than the
    settings = _settings(stub, timeout_s=1.0)  # timeout: the retry must still get its second
    explanation = explain(facts, SCAN, OVERLAY, settings, retry=policy, sleep=time.sleep)
    assert explanation.source == "gemini" and len(stub.requests) == 2


def test_the_calibrated_set_reaches_gemini_and_the_offline_explanation(facts, stub):
    sure = dataclasses.replace(
        facts, prediction_set=("glioma", "meningioma"), calibrated_confidence=0.9123
    )
    explain(sure, SCAN, OVERLAY, _settings(stub))
    parts = [part for content in stub.requests[0].body["contents"] for part in content["parts"]]
    text = "\n".join(part["text"] for part in parts if "text" in part)
    assert "95% prediction set: glioma or meningioma" in text and "91.2%" in text
    offline = offline_explanation(sure).summary
    assert "91.2%" in offline and "95% prediction set is glioma or meningioma" in offline
    assert "prediction set" not in offline_explanation(facts).summary  # no calibration, no set
    assert measured_lines(facts) == ""  # no calibration, no cautions: nothing more to say


def test_facts_refuse_a_set_of_unknown_classes_and_a_bad_calibrated_confidence():
    args = ([0.9712, 0.0211, 0.0050, 0.0027], CLASS_NAMES, SUMMARY, LEGEND, "cnn_cpu")
    with pytest.raises(FactsError, match="not classes of the course"):
        PredictionFacts.from_prediction(*args, prediction_set=("tumour",))
    with pytest.raises(FactsError, match="not between 0 and 1"):
        PredictionFacts.from_prediction(*args, calibrated_confidence=1.5)


def test_a_set_is_said_in_plain_words():
    assert set_in_words(["glioma"]) == "glioma"
    assert set_in_words(["glioma", "meningioma"]) == "glioma or meningioma"
    assert set_in_words(["glioma", "notumor", "pituitary"]) == "glioma, notumor or pituitary"
    assert set_in_words([]).startswith("empty: no class")
    assert "95 times in 100" in guarantee(0.05) and "no such guarantee" in guarantee()


# --- keys, addresses and logs -----------------------------------------------------------

BAD_KEYS = {
    "a line break": KEY[:12] + "\n" + KEY[12:],
    "a control character": KEY[:12] + "\t" + KEY[12:],
    "a space": KEY[:12] + " " + KEY[12:],
    "a character that is not ASCII": KEY[:12] + "\u00e9" + KEY[12:],
}


@pytest.mark.parametrize("problem", BAD_KEYS)
def test_a_key_that_cannot_be_a_key_is_a_bad_key_not_a_network_fault(facts, stub, problem, caplog):
    caplog.set_level(logging.DEBUG)
    key = BAD_KEYS[problem]  # e.g. a Streamlit secret pasted with a line break in it
    explanation = explain(facts, SCAN, OVERLAY, _settings(stub, key=None), api_key=key)
    assert explanation.source == "offline" and not explanation.retry_later
    assert f"contains {problem}; copy the key again without it" in explanation.notice
    assert "reach" not in explanation.notice and "unexpectedly" not in explanation.notice
    assert stub.requests == []  # never sent
    with pytest.raises(GeminiFault) as raised:
        ask_gemini("prompt", SCAN, OVERLAY, api_key=key, model="m", base_url=stub.base_url)
    assert raised.value.kind == "invalid_key"
    assert KEY[:12] not in caplog.text and KEY[13:] not in caplog.text


class Captured(logging.Handler):
    """Every record, with its message, traceback and stack as a handler would write them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.texts.append(logging.Formatter("%(name)s %(message)s").format(record))


@pytest.fixture
def debug_log():
    """Root logging at DEBUG, as a learner debugging the app would set it, restored after."""
    root, handler = logging.getLogger(), Captured()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def test_the_http_stack_logs_neither_the_key_nor_the_login_of_the_address(
    facts, stub, debug_log, monkeypatch
):
    from mri_course.explain import client

    with_login = stub.base_url.replace("http://", "http://learner:s3cret@")
    text = ask_gemini("prompt", SCAN, OVERLAY, api_key=KEY, model="m", base_url=with_login)
    assert json.loads(text) == GOOD_ANSWER and stub.requests[0].api_key == KEY
    # A handler on a child logger, added after the first call, must see no secret either
    late, http11 = Captured(), logging.getLogger("httpcore2.http11")
    http11.addHandler(late)
    try:
        # The HTTP library writes an unsendable header, key and all, into its DEBUG log. The
        # course refuses such a key before any request: switched off here, so that what is
        # tested is the log's redaction, not the check in front of it.
        monkeypatch.setattr(client, "key_problem", lambda key: None)
        broken = KEY + "\nX"
        with pytest.raises(GeminiFault):
            ask_gemini("prompt", SCAN, OVERLAY, api_key=broken, model="m", base_url=with_login)
    finally:
        http11.removeHandler(late)
    names = {record.name for record in debug_log.records}
    assert {"httpx2", "httpcore2.http11", "httpcore2.connection"} <= names, names
    said = "\n".join(debug_log.texts + late.texts)
    assert "send_request_headers.failed" in said and "HTTP Request: POST" in said
    assert "http://***@127.0.0.1" in said
    for secret in (KEY, "s3cret", "learner:"):
        assert secret not in said, f"{secret!r} in the log:\n{said}"
    assert "s3cret" not in repr([vars(record) for record in debug_log.records])


def test_a_login_in_the_base_url_shows_in_no_notice_nor_report(facts, stub, caplog):
    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for url in (
        f"http://learner:s3cret@127.0.0.1:{port}",
        stub.base_url.replace("//", "//learner:s3cret@"),
    ):
        stub.reply_with(error_reply(500, "INTERNAL", f"proxy {url} failed"))  # echoes it
        settings = replace(_settings(stub), gemini_base_url=url)
        explanation = explain(facts, SCAN, OVERLAY, settings, sleep=FakeSleep())
        assert explanation.source == "offline" and "***@127.0.0.1" in explanation.notice
        assert "http://\\*\\*\\*@127.0.0.1" in explanation.to_markdown()  # shown as is
        shown = json.dumps(asdict(explanation)) + explanation.to_markdown() + caplog.text
        assert "s3cret" not in shown and "learner" not in shown


# --- the back-off shared by the app's reruns --------------------------------------------


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


BACKOFF_CASES = {
    "429": ([QUOTA], 5.0, "rate limit or quota"),
    "500": ([SERVER_ERROR], 5.0, "server error"),
    "503": ([UNAVAILABLE], 5.0, "server error"),
    "hang": ([answer_reply(GOOD_ANSWER, delay_s=20)], 0.5, "no answer within 0.5 s"),
}


@pytest.mark.parametrize("case", BACKOFF_CASES)
def test_after_a_passing_fault_gemini_is_not_asked_again_for_a_while(facts, stub, case):
    replies, timeout_s, reason = BACKOFF_CASES[case]
    stub.reply_with(*replies, answer_reply(GOOD_ANSWER))
    clock = FakeClock()
    backoff = GeminiBackoff(clock=clock)
    settings, once = _settings(stub, timeout_s=timeout_s), RetryPolicy(attempts=1)

    def ask() -> Explanation:
        return backoff.explain(facts, SCAN, OVERLAY, settings, retry=once)

    first = ask()
    assert first.source == "offline" and len(stub.requests) == 1 and first.retry_later
    clock.now += 12.3
    started = time.monotonic()
    second = ask()  # a rerun of the page
    assert time.monotonic() - started < 0.5, "no wait for a Gemini known to fail"
    assert len(stub.requests) == 1, "Gemini was asked again within the back-off"
    assert second.source == "offline" and second.retry_later  # not worth caching
    assert second.notice == (
        f"Gemini failed 12 s ago ({reason}); the offline explanation is shown, and Gemini "
        "will be asked again in 48 s."
    )
    clock.now += 47.8  # the 60 s are over
    third = ask()
    assert third.source == "gemini" and len(stub.requests) == 2
    assert ask().source == "gemini" and len(stub.requests) == 3  # an answer ends the back-off


def test_an_unreachable_gemini_is_not_asked_again_for_a_while(facts, stub):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = replace(_settings(stub), gemini_base_url=f"http://127.0.0.1:{port}")
    clock = FakeClock()
    backoff = GeminiBackoff(clock=clock)
    first = backoff.explain(facts, SCAN, OVERLAY, settings)
    assert "Could not reach Gemini" in first.notice
    clock.now += 30
    second = backoff.explain(facts, SCAN, OVERLAY, settings)
    assert "failed 30 s ago (could not connect)" in second.notice
    assert "asked again in 30 s" in second.notice
    clock.now += 30
    assert "Could not reach Gemini" in backoff.explain(facts, SCAN, OVERLAY, settings).notice


def test_the_back_off_follows_the_wait_gemini_asks_for_up_to_a_cap(facts, stub):
    clock = FakeClock()
    backoff = GeminiBackoff(clock=clock)  # 60 s, or what Gemini asks up to 300 s
    settings, once = _settings(stub), RetryPolicy(attempts=1)
    for asked, waited in ((120, 120), (3600, 300), (5, 5)):
        stub.reply_with(
            error_reply(429, "RESOURCE_EXHAUSTED", "slow down", retry_after_s=asked),
            answer_reply(GOOD_ANSWER),
        )
        first = backoff.explain(facts, SCAN, OVERLAY, settings, retry=once)
        assert first.source == "offline" and len(stub.requests) == 1
        clock.now += waited - 1
        second = backoff.explain(facts, SCAN, OVERLAY, settings, retry=once)
        assert len(stub.requests) == 1 and "asked again in 1 s" in second.notice
        clock.now += 1
        third = backoff.explain(facts, SCAN, OVERLAY, settings, retry=once)
        assert third.source == "gemini" and len(stub.requests) == 2


def test_the_back_off_is_per_gemini_setup_and_never_holds_the_key(facts, stub):
    clock = FakeClock()
    backoff = GeminiBackoff(clock=clock)
    settings, once = _settings(stub), RetryPolicy(attempts=1)
    stub.reply_with(QUOTA, answer_reply(GOOD_ANSWER))
    backoff.explain(facts, SCAN, OVERLAY, settings, retry=once)
    assert "secret" not in repr(backoff) and KEY not in repr(vars(backoff))
    other_model = replace(settings, gemini_model="gemini-other")
    assert backoff.explain(facts, SCAN, OVERLAY, other_model).source == "gemini"
    other_key = "AIzaANOTHER-key-0123456789"
    assert backoff.explain(facts, SCAN, OVERLAY, settings, api_key=other_key).source == "gemini"
    assert len(stub.requests) == 3
    assert backoff.explain(facts, SCAN, OVERLAY, settings).source == "offline"
    assert len(stub.requests) == 3  # the setup that failed is still waiting
    backoff.clear()
    assert backoff.explain(facts, SCAN, OVERLAY, settings).source == "gemini"


@pytest.mark.parametrize("reply", [INVALID_KEY, NO_SUCH_MODEL, blocked_reply("SAFETY")])
def test_a_fault_that_waiting_does_not_mend_starts_no_back_off(facts, stub, reply):
    stub.reply_with(reply)
    backoff = GeminiBackoff(clock=FakeClock())
    for _ in range(2):
        assert backoff.explain(facts, SCAN, OVERLAY, _settings(stub)).source == "offline"
    assert len(stub.requests) == 2


def test_without_a_back_off_every_call_asks(facts, stub):
    stub.reply_with(QUOTA)
    once = RetryPolicy(attempts=1)
    for _ in range(2):
        explain(facts, SCAN, OVERLAY, _settings(stub), retry=once)
    assert len(stub.requests) == 2


@pytest.mark.parametrize(("window_s", "max_window_s"), [(0, 300), (60, 30), (math.nan, 300)])
def test_a_back_off_with_a_window_that_is_no_time_is_refused(window_s, max_window_s):
    with pytest.raises(ValueError, match="window"):
        GeminiBackoff(window_s=window_s, max_window_s=max_window_s)
