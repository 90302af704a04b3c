"""Label every image's slice plane: fit the plane classifier on the hand labels, label the rest.

    python benchmarks/plane_labels.py [--hand benchmarks/plane_labels_hand.csv]
                                      [--out benchmarks/results/plane_labels] [--no-ship]

Needs the real dataset (``MRI_COURSE_DATA``); takes about a minute on 2 CPU cores (the
scan's cached thumbnails are the input: no image is decoded except to check that an
upload goes through the same steps). It

1. reads the hand labels (``relpath, sha256, plane, set``) and checks that each file's
   SHA-256 is the scan's (the same dataset) and that copies of one file agree;
2. keeps the ``heldout`` images, and every exact or near copy of them (the survey's
   duplicate groups), out of fitting and of choosing;
3. chooses the features (HOG cell sizes, or plain pixels as a baseline) and the
   regularisation by 5-fold stratified cross-validation, 3 repeats, on the ``seed`` set
   only; it also reports grouped cross-validation on seed + review, for information;
4. fits the chosen classifier on seed + review and predicts every image;
5. scores it once on the held-out set: accuracy, count, 95% Wilson interval, confusion;
6. writes the labels (one row per distinct file: a hand or reviewed label where there is
   one, else the classifier's), the classifier (``mri_course/audit/data/``) and
   ``<out>.md`` / ``<out>.json``, with the class x plane table per split.

How the hand labels were made (contact sheets of numbered thumbnails, 8 x 6 at 128 px,
unsure ones enlarged to 300 px; every sheet re-checked grouped by label):

* ``seed``: 325 images drawn at random, stratified over class x split (42 each, one per
  duplicate group), from images outside the held-out set's duplicate groups;
* ``heldout``: 168 images drawn at random, 42 per class, over both splits; labelled before
  any classifier existed and never used to fit or choose;
* ``review``: the rounds in ``REVIEW_ROUNDS``, each labelled without looking at the
  classifier's answer, then compared with it, then added to the fitting set.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import platform
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from mri_course import load_settings
from mri_course.audit.mni152 import render_slices
from mri_course.audit.planes import (
    CLASSIFIER_PATH,
    HOWS,
    LABEL_COLUMNS,
    LABELS_PATH,
    PLANES,
    PlaneClassifier,
    grey_thumbnail,
    plane_features,
)
from mri_course.data.decode import load_rgb
from mri_course.data.locate import locate_dataset
from mri_course.data.release import CLASS_NAMES
from mri_course.data.survey import survey_dataset
from mri_course.io import atomic_write_bytes, atomic_write_text

HAND_PATH = Path("benchmarks/plane_labels_hand.csv")
SETS = ("seed", "review", "heldout")
CELL_CHOICES: tuple[tuple[int, ...], ...] = ((8,), (16,), (8, 16))
C_CHOICES = (0.01, 0.03, 0.1, 0.3, 1.0)  # ties go to the first: fewer features, smaller C
FOLDS, REPEATS = 5, 3
TEMPLATE_SLICES = 12  # per plane, of the MNI152 template (mri_course.audit.mni152)
PIXELS = 16  # the baseline: the thumbnail averaged down to 16 x 16, standardised per image

REVIEW_ROUNDS = (
    # What was looked at in each review round, and how many of the classifier's answers
    # (fitted on the labels so far, HOG 8+16 px, C 0.1) the hand labels changed. Recorded
    # while labelling; the later classifiers are not kept, so this is not recomputed.
    ("the 86 least confident predictions (top probability 0.38-0.76)", 86, 36),
    ("the 87 least confident predictions (0.51-0.86)", 87, 9),
    ("every notumor image predicted sagittal and not yet labelled", 68, 1),
    ("every notumor image predicted coronal and not yet labelled", 23, 0),
    ("the 50 least confident predictions (0.65-0.95)", 50, 2),
    ("a random sample: 10 per class x predicted plane (16 notumor axial)", 119, 0),
    ("the 44 least confident predictions (0.95-0.98)", 44, 0),
)


def read_hand(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        if row["plane"] not in PLANES or row["set"] not in SETS:
            raise ValueError(f"{path}: bad row {row}")
    relpaths = [row["relpath"] for row in rows]
    if len(set(relpaths)) != len(relpaths):
        raise ValueError(f"{path}: an image is listed twice")
    return rows


def pixel_features(thumbnails: np.ndarray) -> np.ndarray:
    """The baseline's features: the grey thumbnail, averaged down and standardised."""
    grey = np.asarray(thumbnails, dtype=np.float32) / 255.0
    grey = (grey - grey.mean(axis=(1, 2), keepdims=True)) / (
        grey.std(axis=(1, 2), keepdims=True) + 1e-6
    )
    n, size, _ = grey.shape
    k = size // PIXELS
    return grey.reshape(n, PIXELS, k, PIXELS, k).mean(axis=(2, 4)).reshape(n, -1)


def cross_validate(
    straight: np.ndarray,
    mirrored: np.ndarray,
    planes: np.ndarray,
    c: float,
    groups: np.ndarray | None = None,
) -> float:
    """Mean accuracy over FOLDS x REPEATS folds; fit on images and mirrors, score images."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scores = []
    for repeat in range(REPEATS):
        if groups is None:
            splits = StratifiedKFold(FOLDS, shuffle=True, random_state=repeat).split(
                straight, planes
            )
        else:
            splits = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=repeat).split(
                straight, planes, groups
            )
        for train, test in splits:
            model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
            model.fit(
                np.concatenate([straight[train], mirrored[train]]),
                np.concatenate([planes[train], planes[train]]),
            )
            scores.append(float((model.predict(straight[test]) == planes[test]).mean()))
    return float(np.mean(scores))


def wilson(correct: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    if total == 0:
        return (0.0, 1.0)
    p = correct / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def confusion(truth: list[str], predicted: list[str]) -> dict[str, dict[str, int]]:
    """Rows: the hand label; columns: the classifier's answer."""
    table = {t: dict.fromkeys(PLANES, 0) for t in PLANES}
    for t, p in zip(truth, predicted, strict=True):
        table[t][p] += 1
    return table


def measure(hand_path: Path, ship: bool) -> dict:
    start = time.perf_counter()
    settings = load_settings().with_profile("cpu")
    if settings.data_dir is None:
        raise SystemExit("set MRI_COURSE_DATA to the Kaggle dataset folder")
    root = locate_dataset(settings=settings)
    survey = survey_dataset(root, settings.cache_dir, progress=False)
    records, scan = survey.index.records, survey.scan
    if not scan.usable.all():
        raise SystemExit("some images do not decode: run `mri-course data verify`")
    position = {record.relpath: i for i, record in enumerate(records)}
    shas = scan.file_sha256
    groups = survey.duplicates.group_ids
    thumbnails = scan.thumbnails

    hand = read_hand(hand_path)
    plane_of_sha: dict[str, str] = {}
    for row in hand:
        i = position.get(row["relpath"])
        if i is None or shas[i] != row["sha256"]:
            raise SystemExit(f"{row['relpath']}: not in this dataset, or another file there")
        if plane_of_sha.setdefault(row["sha256"], row["plane"]) != row["plane"]:
            raise SystemExit(f"{row['relpath']}: two planes for one file")
    by_set = {name: [r for r in hand if r["set"] == name] for name in SETS}
    heldout_groups = {groups[position[r["relpath"]]] for r in by_set["heldout"]}
    fit_rows = [
        r
        for r in by_set["seed"] + by_set["review"]
        if groups[position[r["relpath"]]] not in heldout_groups
    ]
    left_out = len(by_set["seed"]) + len(by_set["review"]) - len(fit_rows)
    if any(groups[position[r["relpath"]]] in heldout_groups for r in by_set["seed"]):
        raise SystemExit("a seed image is a copy of a held-out one: redraw the seed set")

    # 3. Choose features and C on the seed set only.
    seed_index = np.array([position[r["relpath"]] for r in by_set["seed"]])
    seed_planes = np.array([r["plane"] for r in by_set["seed"]])
    candidates = {f"HOG {'+'.join(map(str, cells))} px": cells for cells in CELL_CHOICES}
    candidates[f"pixels {PIXELS}x{PIXELS} (baseline)"] = None
    cv_rows = []
    for name, cells in candidates.items():
        seed_thumbs = thumbnails[seed_index]
        if cells is None:
            straight, mirrored = (pixel_features(t) for t in (seed_thumbs, seed_thumbs[:, :, ::-1]))
        else:
            straight = plane_features(seed_thumbs, cells)
            mirrored = plane_features(seed_thumbs[:, :, ::-1], cells)
        for c in C_CHOICES:
            accuracy = cross_validate(straight, mirrored, seed_planes, c)
            cv_rows.append({"features": name, "cells": cells, "C": c, "accuracy": accuracy})
            print(f"  seed CV {name:28s} C={c:<5} {accuracy:.4f}", flush=True)
    hog_rows = [row for row in cv_rows if row["cells"] is not None]
    best = max(hog_rows, key=lambda row: row["accuracy"])  # max keeps the first of ties
    cells, c = tuple(best["cells"]), best["C"]

    fit_index = np.array([position[r["relpath"]] for r in fit_rows])
    fit_planes = np.array([r["plane"] for r in fit_rows])
    fit_thumbs = thumbnails[fit_index]
    all_cv = cross_validate(
        plane_features(fit_thumbs, cells),
        plane_features(fit_thumbs[:, :, ::-1], cells),
        fit_planes,
        c,
        groups=groups[fit_index],
    )

    # 4. Fit on seed + review, predict everything.
    classifier = PlaneClassifier.fit(fit_thumbs, fit_planes, c, cells)
    probabilities = classifier.predict_proba(thumbnails)
    predicted = np.asarray(PLANES)[probabilities.argmax(axis=1)]
    confidence = probabilities.max(axis=1)
    fit_agreement = float((predicted[fit_index] == fit_planes).mean())

    # 5. Score once on the held-out set.
    held_index = np.array([position[r["relpath"]] for r in by_set["heldout"]])
    held_truth = [r["plane"] for r in by_set["heldout"]]
    held_pred = predicted[held_index].tolist()
    correct = sum(t == p for t, p in zip(held_truth, held_pred, strict=True))
    low, high = wilson(correct, len(held_truth))
    per_class = {}
    for name in CLASS_NAMES:
        pairs = [
            (t, p)
            for t, p, r in zip(held_truth, held_pred, by_set["heldout"], strict=True)
            if records[position[r["relpath"]]].label == name
        ]
        per_class[name] = {"correct": sum(t == p for t, p in pairs), "total": len(pairs)}
    bands = {}
    for label, lo, hi in (("< 0.95", 0.0, 0.95), ("0.95-0.99", 0.95, 0.99), (">= 0.99", 0.99, 2)):
        mask = [(lo <= confidence[i] < hi) for i in held_index]
        pairs = [(t, p) for t, p, m in zip(held_truth, held_pred, mask, strict=True) if m]
        bands[label] = {"correct": sum(t == p for t, p in pairs), "total": len(pairs)}
    mistakes = [
        {
            "relpath": r["relpath"],
            "hand": t,
            "classifier": p,
            "confidence": round(float(confidence[position[r["relpath"]]]), 3),
        }
        for t, p, r in zip(held_truth, held_pred, by_set["heldout"], strict=True)
        if t != p
    ]

    # An upload goes through the same steps as the scan's thumbnails: check on held-out.
    same = sum(
        np.array_equal(grey_thumbnail(load_rgb(records[i].path)), thumbnails[i]) for i in held_index
    )
    if same != len(held_index):
        raise SystemExit(f"grey_thumbnail differs from the scan on {len(held_index) - same}")

    # Out of the dataset: the MNI152 template's slices (skull-stripped: no face, no neck).
    template = {}
    for plane in PLANES:
        slices = render_slices(plane, TEMPLATE_SLICES, size=256)
        answers = classifier.predict(np.stack([grey_thumbnail(image) for image in slices]))
        template[plane] = {p: int((answers == p).sum()) for p in PLANES}

    # 6. The labels: one row per distinct file.
    how_of_sha: dict[str, str] = {}
    for row in hand:
        how = "reviewed" if row["set"] == "review" else "hand"
        if how_of_sha.get(row["sha256"]) != "hand":
            how_of_sha[row["sha256"]] = how
    first_of_sha: dict[str, int] = {}
    for i in sorted(range(len(records)), key=lambda i: records[i].relpath):
        first_of_sha.setdefault(shas[i], i)
    label_rows = []
    for sha, i in sorted(first_of_sha.items(), key=lambda item: records[item[1]].relpath):
        plane = plane_of_sha.get(sha, predicted[i])
        how = how_of_sha.get(sha, "classifier")
        label_rows.append((sha, plane, how, f"{confidence[i]:.3f}", records[i].relpath))
    plane_by_sha = {row[0]: row[1] for row in label_rows}
    how_by_sha = {row[0]: row[2] for row in label_rows}
    changed = sum(
        plane_by_sha[sha] != predicted[i] for sha, i in first_of_sha.items() if sha in plane_of_sha
    )

    table: dict[str, dict[str, dict[str, int]]] = {}
    for split in ("Training", "Testing"):
        table[split] = {name: dict.fromkeys(PLANES, 0) for name in CLASS_NAMES}
    for record, sha in zip(records, shas, strict=True):
        table[record.split][record.label][plane_by_sha[sha]] += 1
    how_files = Counter(how_by_sha.values())
    how_images = Counter(how_by_sha[sha] for sha in shas)

    if ship:
        lines = [",".join(LABEL_COLUMNS)] + [",".join(row) for row in label_rows]
        atomic_write_text(LABELS_PATH, "\n".join(lines) + "\n")
        buffer = io.BytesIO()
        classifier.save(buffer)
        atomic_write_bytes(CLASSIFIER_PATH, buffer.getvalue())
        # The shipped file must give the same answers as the fitted object.
        reloaded = PlaneClassifier.load(CLASSIFIER_PATH)
        if not np.allclose(
            reloaded.predict_proba(thumbnails[held_index]), probabilities[held_index]
        ):
            raise SystemExit("the saved classifier does not reproduce its predictions")

    return {
        "dataset_fingerprint": scan.fingerprint(),
        "hand_labels": {
            "file": str(hand_path),
            "seed": len(by_set["seed"]),
            "review": len(by_set["review"]),
            "heldout": len(by_set["heldout"]),
            "total": len(hand),
            "fit_on": len(fit_rows),
            "left_out_as_copies_of_heldout": left_out,
            "hand_planes_by_set": {
                name: dict(Counter(r["plane"] for r in rows)) for name, rows in by_set.items()
            },
        },
        "review_rounds": [
            {"looked_at": what, "images": n, "classifier_answer_changed": k}
            for what, n, k in REVIEW_ROUNDS
        ],
        "cross_validation": {
            "on": f"seed set only, {FOLDS}-fold stratified x {REPEATS} repeats",
            "rows": [{k: v for k, v in row.items() if k != "cells"} for row in cv_rows],
            "chosen": {"features": best["features"], "cells": list(cells), "C": c},
            "chosen_accuracy": best["accuracy"],
            "seed_plus_review_grouped_accuracy": all_cv,
        },
        "classifier": {
            "features": int(classifier.mean.shape[0]),
            "file": f"mri_course/audit/data/{CLASSIFIER_PATH.name}",
            "bytes": CLASSIFIER_PATH.stat().st_size if CLASSIFIER_PATH.is_file() else None,
            "fit_agreement": fit_agreement,
        },
        "heldout": {
            "correct": int(correct),
            "total": len(held_truth),
            "accuracy": correct / len(held_truth),
            "wilson_95": [low, high],
            "confusion": confusion(held_truth, held_pred),
            "per_class": per_class,
            "by_confidence": bands,
            "mistakes": mistakes,
        },
        "labels": {
            "distinct_files": len(label_rows),
            "images": len(records),
            "how_files": {how: how_files.get(how, 0) for how in HOWS},
            "how_images": {how: how_images.get(how, 0) for how in HOWS},
            "hand_or_reviewed_files_where_classifier_disagrees": int(changed),
            "classifier_labels_below_0.95": int(
                sum(
                    how_by_sha[sha] == "classifier" and confidence[i] < 0.95
                    for sha, i in first_of_sha.items()
                )
            ),
        },
        "class_by_plane": table,
        "mni152_template": template,
        "seconds": round(time.perf_counter() - start, 1),
        "machine": f"{platform.platform()}, Python {platform.python_version()}",
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def to_markdown(report: dict) -> str:
    hand, cv, held, labels = (
        report["hand_labels"],
        report["cross_validation"],
        report["heldout"],
        report["labels"],
    )
    lines = [
        "# Slice plane of every image",
        "",
        "Made by `benchmarks/plane_labels.py` from the hand labels in "
        f"`{hand['file']}`; ships `mri_course/audit/data/plane_labels.csv` and "
        "`plane_classifier.npz` (`mri_course.audit.planes`).",
        "",
        "## Labelled by hand",
        "",
        f"{hand['total']} images, by looking at them: **{hand['seed']} seed**, "
        f"**{hand['review']} review**, **{hand['heldout']} held-out**. The classifier is "
        f"fitted on {hand['fit_on']} (seed + review, less {hand['left_out_as_copies_of_heldout']}"
        " review images that are copies of held-out ones); the held-out set is used for "
        "nothing but the final score.",
        "",
        "| set | axial | coronal | sagittal |",
        "|---|---|---|---|",
    ]
    for name, counts in hand["hand_planes_by_set"].items():
        lines.append(f"| {name} | " + " | ".join(str(counts.get(p, 0)) for p in PLANES) + " |")
    lines += [
        "",
        "Review rounds (recorded while labelling; each hand label made before looking at "
        "the classifier's answer):",
        "",
        "| looked at | images | classifier's answer changed |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r['looked_at']} | {r['images']} | {r['classifier_answer_changed']} |"
        for r in report["review_rounds"]
    ]
    lines += [
        "",
        "## The classifier",
        "",
        f"Chosen by {cv['on']}: **{cv['chosen']['features']}, C = {cv['chosen']['C']}**, "
        f"accuracy {_pct(cv['chosen_accuracy'])}. Logistic regression on standardised "
        f"features ({report['classifier']['features']}), fitted on each image and its mirror; "
        "an image's probabilities are the mean over it and its mirror.",
        "",
        "| features | " + " | ".join(f"C={c}" for c in C_CHOICES) + " |",
        "|---|" + "---|" * len(C_CHOICES),
    ]
    by_features: dict[str, list[float]] = defaultdict(list)
    for row in cv["rows"]:
        by_features[row["features"]].append(row["accuracy"])
    for name, accuracies in by_features.items():
        lines.append(f"| {name} | " + " | ".join(_pct(a) for a in accuracies) + " |")
    lines += [
        "",
        f"Grouped cross-validation on seed + review with the chosen settings (copies kept "
        f"in one fold): {_pct(cv['seed_plus_review_grouped_accuracy'])} (the review images "
        "are the hard ones, chosen for being uncertain).",
        "",
        "## Held-out accuracy",
        "",
        f"**{held['correct']} / {held['total']} = {_pct(held['accuracy'])}** "
        f"(95% Wilson interval {_pct(held['wilson_95'][0])}-{_pct(held['wilson_95'][1])}): "
        "the final classifier's answers against hand labels made before any classifier "
        "existed, on images it never saw (nor copies of them). This is the accuracy of the "
        "labels whose `how` is `classifier`; hand and reviewed labels were looked at.",
        "",
        "| hand \\ classifier | " + " | ".join(PLANES) + " |",
        "|---|---|---|---|",
    ]
    for truth, row in held["confusion"].items():
        lines.append(f"| {truth} | " + " | ".join(str(row[p]) for p in PLANES) + " |")
    lines += ["", "| class | correct | of |", "|---|---|---|"]
    lines += [f"| {k} | {v['correct']} | {v['total']} |" for k, v in held["per_class"].items()]
    lines += ["", "| classifier's top probability | correct | of |", "|---|---|---|"]
    lines += [f"| {k} | {v['correct']} | {v['total']} |" for k, v in held["by_confidence"].items()]
    if held["mistakes"]:
        lines += ["", "Held-out mistakes:", ""]
        lines += [
            f"- `{m['relpath']}`: hand {m['hand']}, classifier {m['classifier']} "
            f"({m['confidence']})"
            for m in held["mistakes"]
        ]
    lines += [
        "",
        "## The labels",
        "",
        f"{labels['distinct_files']} distinct files ({labels['images']} images; exact copies "
        "share a label).",
        "",
        "| how | files | images |",
        "|---|---|---|",
    ]
    lines += [
        f"| {how} | {labels['how_files'][how]} | {labels['how_images'][how]} |" for how in HOWS
    ]
    lines += [
        "",
        f"Hand or reviewed labels where the final classifier disagrees: "
        f"{labels['hand_or_reviewed_files_where_classifier_disagrees']}. Classifier labels "
        f"with a top probability under 0.95: {labels['classifier_labels_below_0.95']}.",
        "",
        "## Class x plane",
        "",
    ]
    for split, rows in report["class_by_plane"].items():
        lines += [
            f"{split}:",
            "",
            "| class | axial | coronal | sagittal | non-axial |",
            "|---|---|---|---|---|",
        ]
        for name, counts in rows.items():
            total = sum(counts.values())
            lines.append(
                f"| {name} | "
                + " | ".join(str(counts[p]) for p in PLANES)
                + f" | {_pct((total - counts['axial']) / total)} |"
            )
        lines.append("")
    lines += [
        "## Out of the dataset: the MNI152 template",
        "",
        f"{TEMPLATE_SLICES} slices per plane of nilearn's MNI152 template "
        "(`mri_course.audit.mni152.render_slices`, 256 px): a healthy brain, skull-stripped, "
        "so without the face, neck and scalp this classifier leans on. Rows: the true "
        "plane; columns: the classifier's answer. Read the app's plane of an upload that "
        "does not look like the dataset's scans with this in mind.",
        "",
        "| true \\ classifier | " + " | ".join(PLANES) + " |",
        "|---|---|---|---|",
    ]
    for truth, row in report["mni152_template"].items():
        lines.append(f"| {truth} | " + " | ".join(str(row[p]) for p in PLANES) + " |")
    lines += ["", f"{report['seconds']} s on {report['machine']}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hand", type=Path, default=HAND_PATH)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/plane_labels"))
    parser.add_argument(
        "--no-ship", action="store_true", help="do not write the package's labels/classifier"
    )
    args = parser.parse_args()
    report = measure(args.hand, ship=not args.no_ship)
    markdown = to_markdown(report)
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(report, indent=2))
    atomic_write_text(args.out.with_suffix(".md"), markdown)
    print(markdown)


if __name__ == "__main__":
    main()
