"""Read Gemini's structured answer, and refuse one that does not have the agreed shape.

Asking for JSON makes an answer checkable, not correct: a model may still drop a field,
leave it empty, or wrap the JSON in a Markdown fence. :func:`parse_answer` says exactly what
is wrong; :func:`salvage_answer` then keeps what is usable of a healthy answer in a slightly
different shape, rather than hide it behind the offline explanation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

ANSWER_SCHEMA: dict = {  # the answer's shape, as the Gemini API's ``response_schema``
    "type": "OBJECT",
    "properties": {
        "summary": {"type": "STRING", "description": "the prediction in plain words"},
        "regions": {"type": "STRING", "description": "what the highlighted regions suggest"},
        "caveats": {"type": "ARRAY", "items": {"type": "STRING"}},
    },
    "required": ["summary", "regions", "caveats"],
}
NOT_A_DIAGNOSIS = (  # the caveat every explanation carries
    "This is not a diagnosis: it describes what a teaching model did, and only a radiologist "
    "reading the scan can say what it shows."
)
FENCE = re.compile(r"```(?:json)?\s*(.*?)\s*```", flags=re.DOTALL | re.IGNORECASE)
"""A Markdown fence around the whole answer; ``.group(1)`` is what it holds."""


class AnswerError(ValueError):
    """Gemini's answer does not have the agreed shape; the message says what is wrong."""


@dataclass(frozen=True)
class GeminiAnswer:
    """The three fields of a checked answer."""

    summary: str
    regions: str
    caveats: tuple[str, ...]


def with_diagnosis_caveat(caveats: Iterable[str]) -> tuple[str, ...]:
    """``caveats`` with the course's own ``NOT_A_DIAGNOSIS`` at the end, exactly once: a
    model's sentence that merely mentions one ("No other findings; the diagnosis is a
    meningioma.") must not stand in for the disclaimer."""
    return (*(item for item in caveats if item != NOT_A_DIAGNOSIS), NOT_A_DIAGNOSIS)


def parse_answer(text: str) -> GeminiAnswer:
    """Parse and check Gemini's JSON answer.

    The answer must be a JSON object with a non-empty text ``"summary"``, a non-empty text
    ``"regions"`` and a list of texts ``"caveats"``; other fields are ignored. Texts are
    stripped of surrounding spaces and empty caveats dropped. A JSON answer wrapped in a
    Markdown fence (```` ```json ... ``` ````) is accepted: models add one now and then.
    The caveats end with the course's not-a-diagnosis caveat, once.

    Raises:
        AnswerError: naming what is wrong: not JSON, not an object, a missing field, an
            empty text, or caveats that are not a list of texts.

    Hints:
        - A fenced answer: `FENCE.fullmatch(body)` (a regular expression) puts the JSON in
          `.group(1)`.
        - `json.loads` raises `json.JSONDecodeError`; catch it and raise `AnswerError`
          instead (`from None` hides the first error).
        - Check `isinstance(data, dict)`, then each field: present, the right type, not
          empty.
        - Drop empty caveats, then `with_diagnosis_caveat(kept)` puts the course's caveat
          last.
    """
    body = text.strip()
    fenced = FENCE.fullmatch(body)
    try:
        data = json.loads(fenced.group(1) if fenced else body)
    except json.JSONDecodeError as error:
        raise AnswerError(
            f"the answer is not JSON ({error.msg} at character {error.pos})"
        ) from None
    if not isinstance(data, dict):
        raise AnswerError(
            f"the answer is a JSON {type(data).__name__}, not an object with summary, "
            "regions and caveats"
        )
    missing = [name for name in ANSWER_SCHEMA["required"] if name not in data]
    if missing:
        raise AnswerError(f"the answer lacks {', '.join(missing)}")
    for name in ("summary", "regions"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise AnswerError(f'"{name}" must be a non-empty text, not {data[name]!r}')
    caveats = data["caveats"]
    if not isinstance(caveats, list) or not all(isinstance(item, str) for item in caveats):
        raise AnswerError(f'"caveats" must be a list of texts, not {caveats!r}')
    kept = [item.strip() for item in caveats if item.strip()]
    return GeminiAnswer(
        data["summary"].strip(), data["regions"].strip(), with_diagnosis_caveat(kept)
    )


def salvage_answer(text: str) -> tuple[GeminiAnswer, str] | None:
    """What is usable of an answer :func:`parse_answer` refused (plain text, a caveat given
    as a text, a field missing), with a note saying what was off; None when nothing is.
    Plain text becomes the summary; a missing field is said to be missing, never invented."""
    body = text.strip()
    fenced = FENCE.fullmatch(body)
    try:
        data, note = json.loads(fenced.group(1) if fenced else body), None
    except json.JSONDecodeError:
        data = {"summary": " ".join(body.split()), "caveats": []}
        note = "Gemini answered in plain text, not in the expected fields: shown as it came."
    if not isinstance(data, dict):
        return None
    texts = {
        name: data[name].strip()
        for name in ("summary", "regions")
        if isinstance(data.get(name), str)
    }
    if not any(texts.values()):
        return None
    caveats = data.get("caveats")
    listed = isinstance(caveats, list)
    kept = [
        c.strip() for c in (caveats if listed else [caveats]) if isinstance(c, str) and c.strip()
    ]
    off = [name for name in ("summary", "regions") if not texts.get(name)]
    off += [] if listed else ["caveats"]
    answer = GeminiAnswer(
        texts.get("summary") or "(Gemini gave no summary.)",
        texts.get("regions") or "(Gemini did not describe the regions separately.)",
        with_diagnosis_caveat(kept),
    )
    return answer, note or (
        f"Gemini's answer was not quite in the expected shape ({', '.join(off)} missing or "
        "not as asked): its usable parts are shown."
    )
