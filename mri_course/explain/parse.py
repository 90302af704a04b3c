"""Read Gemini's structured answer, and refuse one that does not have the agreed shape.

Asking for JSON makes an answer checkable, not correct: a model may still drop a field,
leave it empty, or wrap the JSON in a Markdown fence. The parser says exactly what is
wrong, so the caller can fall back to the offline explanation with a clear notice.
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


MISSING_SUMMARY = "(Gemini gave no summary.)"
MISSING_REGIONS = "(Gemini did not describe the regions separately.)"


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
    The caveats go through ``with_diagnosis_caveat``, so the course's not-a-diagnosis
    caveat is always there, once, last.

    Args:
        text: the answer's text, as Gemini returned it.

    Returns:
        The checked answer, with the caveats as a tuple.

    Raises:
        AnswerError: naming what is wrong: not JSON, not an object, a missing field, an
            empty text, or caveats that are not a list of texts.

    Hints:
        - A fenced answer: `re.fullmatch("```(?:json)?(.*)```", body, flags=re.DOTALL)` puts
          the JSON in `.group(1)`.
        - `json.loads` raises `json.JSONDecodeError`; catch it and raise `AnswerError`
          instead (`from None` hides the first error).
        - Check `isinstance(data, dict)`, then each field: present, the right type, not
          empty.
        - Drop empty caveats, then `with_diagnosis_caveat(kept)` puts the course's caveat
          last.
    """
    body = text.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", body, flags=re.DOTALL | re.IGNORECASE)
    if fenced:
        body = fenced.group(1)
    try:
        data = json.loads(body)
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
    texts = {}
    for name in ("summary", "regions"):
        value = data[name]
        if not isinstance(value, str) or not value.strip():
            raise AnswerError(f'"{name}" must be a non-empty text, not {value!r}')
        texts[name] = value.strip()
    caveats = data["caveats"]
    if not isinstance(caveats, list) or not all(isinstance(item, str) for item in caveats):
        raise AnswerError(f'"caveats" must be a list of texts, not {caveats!r}')
    kept = [item.strip() for item in caveats if item.strip()]
    return GeminiAnswer(
        summary=texts["summary"], regions=texts["regions"], caveats=with_diagnosis_caveat(kept)
    )


def salvage_answer(text: str) -> tuple[GeminiAnswer, str] | None:
    """What is usable of an answer :func:`parse_answer` refused, with a note saying what was
    off; None when nothing is.

    A healthy answer in a slightly different shape (plain text, a caveat given as a string
    instead of a list, one field missing) still explains the prediction: throwing it away
    for the offline text would hide it from the user. Plain text becomes the summary; a
    missing field is said to be missing, never invented. The not-a-diagnosis caveat is
    added as always.
    """
    body = text.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", body, flags=re.DOTALL | re.IGNORECASE)
    try:
        data = json.loads(fenced.group(1) if fenced else body)
    except json.JSONDecodeError:
        plain = " ".join(body.split())
        if not plain:
            return None
        answer = GeminiAnswer(plain, MISSING_REGIONS, with_diagnosis_caveat(()))
        return (
            answer,
            "Gemini answered in plain text, not in the expected fields: shown as it came.",
        )
    if not isinstance(data, dict):
        return None
    fields = {
        name: data[name].strip() if isinstance(data.get(name), str) else ""
        for name in ("summary", "regions")
    }
    if not any(fields.values()):
        return None
    caveats = data.get("caveats", [])
    caveats = [caveats] if isinstance(caveats, str) else caveats
    kept = (
        [c.strip() for c in caveats if isinstance(c, str) and c.strip()]
        if isinstance(caveats, list)
        else []
    )
    off = [name for name, value in fields.items() if not value]
    off += [] if isinstance(data.get("caveats"), list) else ["caveats"]
    answer = GeminiAnswer(
        fields["summary"] or MISSING_SUMMARY,
        fields["regions"] or MISSING_REGIONS,
        with_diagnosis_caveat(kept),
    )
    return answer, (
        f"Gemini's answer was not quite in the expected shape ({', '.join(off)} missing or "
        "not as asked): its usable parts are shown."
    )
