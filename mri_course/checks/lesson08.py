"""Checks for lesson 08's exercises (explanations with Gemini)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from mri_course.data.release import CLASS_NAMES
from mri_course.explain.parse import NOT_A_DIAGNOSIS, AnswerError
from mri_course.explain.prompt import PredictionFacts
from mri_course.saliency.summary import RegionSummary

_LEGEND = (
    "dark red = strongest attention, yellow/green = medium, blue = weakest; "
    "uncoloured = below the 80th percentile"
)
_JET_LEGEND = (  # the saliency module's legend names every colour, cyan among the weak ones
    "dark red = strongest, yellow/light green = medium, dark blue = weakest (from strong to "
    "weak: dark red, red, orange, yellow, light green, cyan, blue, dark blue); uncoloured = "
    "below the 80th percentile of the brain's values"
)


def _facts(probabilities, dominant, mass, peak, area, method="gradcam", legend=_LEGEND):
    summary = RegionSummary(method, dominant, mass, peak, 1.0, area, 80.0)
    return PredictionFacts.from_prediction(probabilities, CLASS_NAMES, summary, legend, "cnn_cpu")


def _example_facts() -> list[PredictionFacts]:
    """Two scans with different facts, so a prompt with fixed text cannot pass."""
    return [
        _facts(
            [0.9712, 0.0211, 0.0050, 0.0027],
            "upper left",
            {
                "upper left": 0.46,
                "upper right": 0.10,
                "lower left": 0.14,
                "lower right": 0.10,
                "centre": 0.20,
            },
            "upper left",
            0.12,
        ),
        _facts(
            [0.05, 0.04, 0.29, 0.62],
            "centre",
            {
                "upper left": 0.05,
                "upper right": 0.07,
                "lower left": 0.08,
                "lower right": 0.09,
                "centre": 0.71,
            },
            "lower right",
            0.07,
            method="smoothgrad",
            legend=_JET_LEGEND,
        ),
    ]


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _has_pct(prompt: str, share: float) -> bool:
    """Whether ``prompt`` holds the percentage on its own ("5.0%" is not in "55.0%")."""
    return re.search(rf"(?<![\d.]){re.escape(_pct(share))}", prompt) is not None


def check_build_prompt(build_prompt: Callable) -> str:
    for facts in _example_facts():
        prompt = build_prompt(facts)
        assert isinstance(prompt, str) and prompt.strip(), (
            f"build_prompt returned {type(prompt).__name__} {prompt!r}; return the prompt text"
        )
        lower = prompt.lower()
        name, confidence = facts.predicted_class, _pct(facts.confidence)
        assert name in prompt, f"the predicted class {name!r} is missing from the prompt"
        if not _has_pct(prompt, facts.confidence):
            as_fraction = f"{facts.confidence:.2f}"
            hint = (
                f"; you wrote it as a fraction ({as_fraction}): give a percentage"
                if as_fraction in prompt
                else ""
            )
            raise AssertionError(
                f"the confidence must read {confidence} (a percentage with one decimal, "
                f"percent({facts.confidence})){hint}"
            )
        runner_up = _pct(facts.runner_up_probability)
        assert facts.runner_up in prompt and _has_pct(prompt, facts.runner_up_probability), (
            f"the runner-up {facts.runner_up} ({runner_up}) is missing: it shows how torn the "
            "model was between two classes"
        )
        others = [c for c in CLASS_NAMES if c not in (name, facts.runner_up)]
        for other in others:
            assert other in prompt and _has_pct(prompt, facts.probabilities[other]), (
                f"give every class's probability: {other} ({_pct(facts.probabilities[other])}) "
                "is missing"
            )
        assert "cyan" not in lower.replace(facts.colour_legend.lower(), ""), (
            "the prompt sends the model to cyan areas, but cyan is not where the overlay is "
            "strongest: describe the colours only with the overlay's legend "
            "(facts.colour_legend), as the original prompt did not"
        )
        assert facts.colour_legend in prompt, (
            "give the overlay's colour legend word for word (facts.colour_legend), so the "
            "model knows which colour means strong attention"
        )
        dominant = facts.dominant_region
        assert dominant in prompt and _has_pct(prompt, facts.dominant_share), (
            f"give each region's share of the saliency: the dominant region, {dominant} "
            f"({_pct(facts.dominant_share)}), is missing"
        )
        assert facts.region_summary.peak_region in prompt, (
            f"the peak region ({facts.region_summary.peak_region}) is missing"
        )
        area = facts.region_summary.brain_area_above_threshold
        assert _has_pct(prompt, area), (
            f"the share of the brain above the threshold ({_pct(area)}) is missing"
        )
        assert "two images" in lower and "overlay" in lower, (
            "say that two images follow, first the scan, then the saliency overlay, so the "
            "model knows which picture is which"
        )
        assert "image left" in lower, (
            "say that regions are in image coordinates and ask for 'image left'/'image right' "
            "(radiological images show the patient's right on the image's left)"
        )
        assert "not a diagnosis" in lower, (
            "ask for a caveat that this is not a diagnosis: the answer is shown to people "
            "who may take it for one"
        )
        missing = [field for field in ("summary", "regions", "caveats") if field not in lower]
        assert "json" in lower and not missing, (
            "ask for a JSON answer with the fields summary, regions and caveats"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
    return (
        "the prompt carries the facts, the runner-up, the regions, the real colour legend, "
        "the orientation and the answer's shape"
    )


def _parse_must_fail(parse_answer: Callable, text: str, problem: str) -> None:
    try:
        result = parse_answer(text)
    except AnswerError:
        return
    except Exception as error:
        raise AssertionError(
            f"{problem}: raise AnswerError (it says what is wrong), not "
            f"{type(error).__name__}: {error}"
        ) from None
    raise AssertionError(f"{problem}, yet parse_answer accepted it and returned {result!r}")


def check_parse_answer(parse_answer: Callable) -> str:
    good = (
        '{"summary": " It is a glioma. ", "regions": "Upper image left.", "caveats": ["Coarse."]}'
    )
    answer = parse_answer(good)
    found = (answer.summary, answer.regions)
    assert found == ("It is a glioma.", "Upper image left."), (
        f"summary and regions read {found}; expected the texts, stripped of spaces"
    )
    assert tuple(answer.caveats) == ("Coarse.", NOT_A_DIAGNOSIS), (
        f"caveats read {tuple(answer.caveats)}; add NOT_A_DIAGNOSIS at the end "
        "(with_diagnosis_caveat does)"
    )
    misleading = parse_answer(
        '{"summary": "S", "regions": "R", "caveats": ["No other findings; the diagnosis is '
        'a meningioma.", "  "]}'
    )
    assert tuple(misleading.caveats)[-1:] == (NOT_A_DIAGNOSIS,), (
        f"caveats read {tuple(misleading.caveats)}; a model's sentence that mentions a "
        "diagnosis is no disclaimer: add NOT_A_DIAGNOSIS whatever the answer says"
    )
    assert "" not in misleading.caveats, "drop empty caveats"
    repeated = parse_answer(
        json.dumps({"summary": "S", "regions": "R", "caveats": [NOT_A_DIAGNOSIS, "Coarse."]})
    )
    assert tuple(repeated.caveats) == ("Coarse.", NOT_A_DIAGNOSIS), (
        f"caveats read {tuple(repeated.caveats)}; NOT_A_DIAGNOSIS must appear once, last: "
        "add nothing when it is already there"
    )
    extra = parse_answer('{"summary": "S", "regions": "R", "caveats": [], "mood": "calm"}')
    assert extra.summary == "S", "ignore fields other than summary, regions and caveats"
    try:
        fenced = parse_answer('```json\n{"summary": "S", "regions": "R", "caveats": []}\n```')
    except Exception as error:
        raise AssertionError(
            "an answer wrapped in a ```json fence failed "
            f"({type(error).__name__}: {error}); strip the fence first (FENCE.fullmatch)"
        ) from None
    assert fenced.summary == "S", "a fenced answer must read like the plain one"
    _parse_must_fail(parse_answer, '{"summary": "S", "caveats": []}', 'the answer lacks "regions"')
    _parse_must_fail(
        parse_answer, '{"summary": "", "regions": "R", "caveats": []}', '"summary" is empty'
    )
    _parse_must_fail(
        parse_answer,
        '{"summary": "S", "regions": 3, "caveats": []}',
        '"regions" is a number, not a text',
    )
    _parse_must_fail(
        parse_answer,
        '{"summary": "S", "regions": "R", "caveats": "none"}',
        '"caveats" is a text, not a list of texts',
    )
    _parse_must_fail(parse_answer, "It is probably a glioma.", "the answer is not JSON")
    _parse_must_fail(parse_answer, '["S", "R", []]', "the answer is a JSON list, not an object")
    return "reads fenced and plain JSON, refuses every malformed answer, always adds the caveat"
