"""The grounded prompt: every claim Gemini may make rests on a number we measured.

The original project told Gemini only the predicted class and a confidence, and to look at
"light cyan" areas of a jet colour map whose strongest areas are red. A model asked to find
what is not there will describe it anyway. Here the prompt carries the facts (prediction,
runner-up, where the saliency mass lies), the overlay's real colour legend, the image
orientation, and the shape of the answer we will parse.
"""

from __future__ import annotations

from mri_course.explain.facts import PredictionFacts
from mri_course.saliency.names import METHODS


def percent(share: float) -> str:
    """A share 0..1 as a percentage with one decimal: ``0.9712`` -> ``"97.1%"``.

    A share that is not 1 never reads "100.0%", nor one that is not 0 "0.0%": a softmax is
    never certain, and a reader takes "100.0%" for certainty. They read ">99.9%" and "<0.1%".
    """
    if 0.9995 <= share < 1:
        return ">99.9%"
    if 0 < share < 0.0005:
        return "<0.1%"
    return f"{100 * share:.1f}%"


def build_prompt(facts: PredictionFacts) -> str:
    """The text sent to Gemini with the scan and the saliency overlay.

    A grounded prompt hands the model the measured facts instead of asking it to guess
    them from the pictures, names the colours as the overlay really draws them, and asks
    for an answer the code can check. It must:

    * say that two images follow: first the MRI scan, then the same scan with the saliency
      overlay, and give the overlay's colour legend word for word (``facts.colour_legend``);
      never name a colour the legend does not use (the original prompt's "light cyan");
    * give the prediction and its confidence, the runner-up and its probability, as
      percentages with one decimal (``percent(0.9712)`` is ``"97.1%"``), and every class's
      probability;
    * give the saliency method, the share of the saliency mass in each region (the
      dominant region with its percentage first), the peak region, and the share of the
      brain above the threshold percentile;
    * say that regions are in image coordinates and that the answer must say "image left"
      or "image right", never the patient's side (radiological images show the patient's
      right on the image's left);
    * ask for JSON with the fields ``"summary"``, ``"regions"`` and ``"caveats"``, and say
      that one caveat must state that this is not a diagnosis.

    Args:
        facts: the prediction and saliency facts of one scan.

    Returns:
        The prompt, as lines of plain text.

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
