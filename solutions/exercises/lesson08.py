"""Reference solutions of lesson 08 (explanations with gemini).

Each function is the package's own code, copied from the module named above it: the
course runs exactly this. Edit the package, then run
`python -m mri_course.exercises.generate` to refresh this file.
"""

from __future__ import annotations

import json

from mri_course.explain.parse import (
    ANSWER_SCHEMA,
    FENCE,
    AnswerError,
    GeminiAnswer,
    with_diagnosis_caveat,
)
from mri_course.explain.prompt import PredictionFacts, percent
from mri_course.saliency.names import METHODS


# Exercise 8.1, from mri_course/explain/prompt.py
def build_prompt(facts: PredictionFacts) -> str:
    """The text sent to Gemini with the scan and the saliency overlay.

    A grounded prompt hands the model the measured facts instead of asking it to guess
    them from the pictures, names the colours as the overlay really draws them, and asks
    for an answer the code can check. It must:

    * say that two images follow: first the MRI scan, then the same scan with the saliency
      overlay, and give the overlay's colour legend word for word (``facts.colour_legend``);
      never name a colour the legend does not use (the original prompt's "light cyan");
    * give the prediction and its confidence, the runner-up and its probability, and every
      class's probability, as percentages with one decimal (``percent``);
    * give the saliency method, the share of the saliency mass in each region (the
      dominant region first), the peak region, and the share of the brain above the
      threshold percentile;
    * say that regions are in image coordinates: the answer must say "image left" or
      "image right", never the patient's side (radiological images show the patient's
      right on the image's left);
    * ask for JSON with the fields ``"summary"``, ``"regions"`` and ``"caveats"``, one
      caveat stating that this is not a diagnosis.

    Hints:
        - Build a list of lines and return `"\\n".join(lines)`; f-strings make each line.
        - `percent(facts.confidence)` gives `"97.1%"`; do the same for the runner-up, for
          each value of `facts.probabilities` and of `facts.region_summary.mass_by_region`.
        - Paste `facts.colour_legend` as it is; never write a colour of your own.
        - End with the answer's shape: JSON with `"summary"`, `"regions"` and `"caveats"`,
          one caveat saying this is not a diagnosis.
    """
    summary = facts.region_summary
    by_share = sorted(summary.mass_by_region.items(), key=lambda item: item[1], reverse=True)
    regions = ", ".join(f"{region} {percent(share)}" for region, share in by_share)
    classes = ", ".join(f"{name} {percent(p)}" for name, p in facts.probabilities.items())
    return "\n".join(
        [
            "You help a learner understand why an image classifier made its prediction on a "
            "brain MRI scan. The classifier is a teaching model; you are not diagnosing anyone.",
            "",
            "Two images follow: first the MRI scan, then the same scan with the classifier's "
            f"saliency overlay ({METHODS[facts.method].title}), which colours where the "
            "classifier looked.",
            f"Overlay colours: {facts.colour_legend}.",
            "Name colours only as this legend does.",
            "",
            "Measured facts (use these numbers; do not estimate others from the images):",
            f"- classifier: {facts.model_name}",
            f"- prediction: {facts.predicted_class}, {percent(facts.confidence)} confidence",
            f"- runner-up: {facts.runner_up}, {percent(facts.runner_up_probability)}",
            f"- every class: {classes}",
            f"- share of the saliency by region: {regions}",
            f"- strongest single spot: {summary.peak_region}",
            f"- {percent(summary.brain_area_above_threshold)} of the brain is coloured "
            f"(above the {summary.threshold_percentile:.0f}th percentile of the saliency)",
            "",
            "Regions are in image coordinates. Say 'image left' or 'image right', never the "
            "patient's left or right: radiological images show the patient's right on the "
            "image's left.",
            "",
            "Answer in JSON with three fields, in plain words for a learner:",
            '- "summary": at most 3 sentences: the prediction, how sure the classifier was, '
            "and the runner-up.",
            '- "regions": at most 4 sentences: what the highlighted regions suggest the '
            "classifier relied on, and whether they fall on the brain or outside it.",
            '- "caveats": a list of short caveats. One must say that this is not a diagnosis '
            "and that only a radiologist reading the scan can say what it shows.",
        ]
    )


# Exercise 8.2, from mri_course/explain/parse.py
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
