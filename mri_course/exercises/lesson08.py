"""Lesson 08 exercises: explanations with gemini.

Replace each `raise NotImplementedError(...)` with your code, then run the exercise's
check in lessons/08_gemini.ipynb (or `mri-course progress`). Until you do, the
lesson runs the reference solution, so it never stops half-way. When you are done,
compare with solutions/exercises/lesson08.py.

Generated from the package's reference code by `python -m mri_course.exercises.generate`.
"""

# ruff: noqa: F401  (the imports are tools you may want; not every one is needed)

from __future__ import annotations

import json

from mri_course.exercises.runtime import exercise
from mri_course.explain.parse import (
    ANSWER_SCHEMA,
    FENCE,
    AnswerError,
    GeminiAnswer,
    with_diagnosis_caveat,
)
from mri_course.explain.prompt import PredictionFacts, percent
from mri_course.saliency.names import METHODS


@exercise("8.1")
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
    raise NotImplementedError("Exercise 8.1: write build_prompt here")


@exercise("8.2")
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
    raise NotImplementedError("Exercise 8.2: write parse_answer here")
