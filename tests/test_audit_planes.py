"""The shipped slice-plane labels and the plane classifier (mri_course.audit.planes)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from mri_course.audit import planes
from mri_course.audit.planes import (
    CLASSIFIER_PATH,
    HOWS,
    LABEL_COLUMNS,
    LABELS_PATH,
    PLANES,
    PlaneClassifier,
    balancing_repeats,
    grey_thumbnail,
    load_classifier,
    plane_balancing_repeats,
    plane_labels,
    plane_of,
    planes_of,
    predict_plane,
    read_labels,
)
from mri_course.data.decode import load_rgb

ROOT = Path(__file__).resolve().parents[1]
HAND = ROOT / "benchmarks" / "plane_labels_hand.csv"
RESULTS = ROOT / "benchmarks" / "results" / "plane_labels.json"


def _hand_rows() -> list[dict[str, str]]:
    with open(HAND, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _brain(shape=(180, 150), plane="axial", seed=0) -> np.ndarray:
    """A crude head-like picture (an ellipse on black), to feed the classifier shapes."""
    rng = np.random.default_rng(seed)
    h, w = shape
    y, x = np.mgrid[0:h, 0:w]
    ry, rx = (0.45 * h, 0.35 * w) if plane == "axial" else (0.4 * h, 0.45 * w)
    inside = ((y - h / 2) / ry) ** 2 + ((x - w / 2) / rx) ** 2 <= 1
    image = np.where(inside, 90 + rng.integers(0, 60, size=shape), 0)
    return image.astype(np.uint8)


def test_labels_file_has_one_well_formed_row_per_file():
    rows = read_labels(LABELS_PATH)
    shas = [row["sha256"] for row in rows]
    assert len(shas) == len(set(shas)) > 6000
    for row in rows:
        assert len(row["sha256"]) == 64 and int(row["sha256"], 16) >= 0
        assert row["plane"] in PLANES and row["how"] in HOWS
        assert 1 / 3 <= float(row["confidence"]) <= 1.0
    assert len(plane_labels()) == len(rows)
    assert set(Counter(row["how"] for row in rows)) == set(HOWS)


def test_hand_labels_agree_with_the_shipped_labels():
    shipped = plane_labels()
    rows = _hand_rows()
    assert {row["set"] for row in rows} == {"seed", "review", "heldout"}
    for row in rows:
        plane, how = shipped[row["sha256"]]
        assert plane == row["plane"], row["relpath"]
        # A file labelled in the seed or held-out set is "hand"; one only seen in review,
        # "reviewed"; an exact copy labelled in two sets keeps "hand".
        if row["set"] in ("seed", "heldout"):
            assert how == "hand", row["relpath"]
        else:
            assert how in ("hand", "reviewed"), row["relpath"]
    hand_shas = {row["sha256"] for row in rows}
    assert all(how == "classifier" for sha, (_, how) in shipped.items() if sha not in hand_shas)


def test_results_file_counts_match_the_hand_labels():
    report = json.loads(RESULTS.read_text())
    counts = Counter(row["set"] for row in _hand_rows())
    hand = report["hand_labels"]
    assert (hand["seed"], hand["review"], hand["heldout"]) == (
        counts["seed"],
        counts["review"],
        counts["heldout"],
    )
    how = Counter(how for _, how in plane_labels().values())
    assert report["labels"]["how_files"] == {h: how[h] for h in HOWS}


def test_plane_of_reads_a_sha_and_refuses_an_unknown_file(tmp_path):
    sha, (plane, _) = next(iter(plane_labels().items()))
    assert plane_of(sha) == plane
    assert plane_of(sha.upper()) == plane
    stranger = tmp_path / "upload.png"
    stranger.write_bytes(b"not in the dataset")
    with pytest.raises(KeyError, match="predict_plane"):
        plane_of(stranger)
    with pytest.raises(KeyError):
        plane_of("0" * 64)


def test_classifier_file_is_small_and_loads_without_pickle():
    assert CLASSIFIER_PATH.stat().st_size < 2_000_000
    with np.load(CLASSIFIER_PATH, allow_pickle=False) as stored:
        assert tuple(stored["planes"].tolist()) == PLANES
    classifier = load_classifier()
    assert classifier.coef.shape == (3, classifier.mean.shape[0])


def test_saving_and_loading_keeps_the_answers(tmp_path):
    classifier = load_classifier()
    classifier.save(tmp_path / "copy.npz")
    copy = PlaneClassifier.load(tmp_path / "copy.npz")
    thumbs = np.stack([grey_thumbnail(_brain(seed=s)) for s in range(3)])
    assert np.array_equal(copy.predict_proba(thumbs), classifier.predict_proba(thumbs))


@pytest.mark.parametrize(
    "make",
    [
        lambda g: g,  # grey (H, W)
        lambda g: g[:, :, None],  # (H, W, 1)
        lambda g: np.repeat(g[:, :, None], 3, axis=2),  # RGB
        lambda g: np.dstack([g, g, g, np.full_like(g, 255)]),  # RGBA, opaque
        lambda g: g.astype(np.float32),  # what prepare_pixels returns: floats 0..255
        lambda g: g.astype(np.uint16) * 257,  # 16-bit
    ],
    ids=["grey", "grey1", "rgb", "rgba", "float", "uint16"],
)
@pytest.mark.parametrize("shape", [(180, 150), (64, 64), (37, 301), (512, 512)])
def test_predict_plane_reads_any_layout_and_size_the_same_way(make, shape):
    grey = _brain(shape)
    plane, probabilities = predict_plane(make(grey))
    assert plane in PLANES
    assert list(probabilities) == list(PLANES)
    assert abs(sum(probabilities.values()) - 1.0) < 1e-9
    assert plane == max(probabilities, key=probabilities.get)
    # Every layout of the same grey picture is the same thumbnail, so the same answer.
    assert (plane, probabilities) == predict_plane(grey)
    # Deterministic.
    assert (plane, probabilities) == predict_plane(make(grey))


def test_predict_plane_is_mirror_symmetric_and_refuses_non_images():
    image = _brain((192, 128), plane="coronal", seed=4)  # multiples of 64: exact mirror
    image[120:, :60] = 200  # break the symmetry of the picture itself
    _, straight = predict_plane(image)
    _, mirrored = predict_plane(image[:, ::-1])
    assert straight == pytest.approx(mirrored, abs=1e-12)
    for bad in (np.zeros((0, 5), np.uint8), np.zeros(10, np.uint8), np.array([["a"]])):
        with pytest.raises(ValueError):
            predict_plane(bad)
    with pytest.raises(ValueError, match="NaN"):
        predict_plane(np.full((20, 20), np.nan))


def test_fit_learns_planes_from_thumbnails_and_needs_all_three():
    # Three easy synthetic "planes": tall ellipse, wide ellipse, and a half-disc.
    rng = np.random.default_rng(0)
    thumbs, labels = [], []
    for k in range(30):
        for plane in PLANES:
            image = _brain((96, 96), "axial" if plane == "axial" else "coronal", seed=k)
            if plane == "sagittal":
                image[:, : 30 + rng.integers(0, 10)] = 0
            thumbs.append(grey_thumbnail(image))
            labels.append(plane)
    thumbs = np.stack(thumbs)
    classifier = PlaneClassifier.fit(thumbs, labels, c=1.0, cells=(8,))
    assert (classifier.predict(thumbs) == np.asarray(labels)).mean() >= 0.9
    with pytest.raises(ValueError, match="all of"):
        PlaneClassifier.fit(thumbs[:60], ["axial", "coronal"] * 30, c=1.0)


# --- on the real dataset --------------------------------------------------------------


@pytest.fixture(scope="module")
def real_survey(real_root):
    from mri_course import load_settings
    from mri_course.data.survey import survey_dataset

    return survey_dataset(real_root, load_settings().cache_dir, progress=False)


@pytest.mark.real_data
def test_shipped_labels_cover_every_image_of_the_dataset_exactly_once(real_survey):
    shas = real_survey.scan.file_sha256.tolist()
    rows = read_labels(LABELS_PATH)
    assert len(shas) == 7023
    assert Counter(row["sha256"] for row in rows) == Counter(set(shas))
    relpaths = {r.relpath: sha for r, sha in zip(real_survey.index.records, shas, strict=True)}
    assert all(relpaths[row["relpath"]] == row["sha256"] for row in rows)
    record = real_survey.index.records[0]
    assert plane_of(record) == plane_labels()[shas[0]][0]


@pytest.mark.real_data
def test_the_classifier_reproduces_its_heldout_accuracy(real_root):
    report = json.loads(RESULTS.read_text())["heldout"]
    rows = [row for row in _hand_rows() if row["set"] == "heldout"]
    assert len(rows) == report["total"]
    answers = [predict_plane(load_rgb(real_root / row["relpath"]))[0] for row in rows]
    correct = sum(a == row["plane"] for a, row in zip(answers, rows, strict=True))
    assert correct == report["correct"]
    assert round(correct / len(rows), 4) == round(report["accuracy"], 4)
    assert report["accuracy"] >= 0.97


@pytest.mark.real_data
def test_an_upload_is_read_like_the_scans_thumbnail(real_survey):
    scan = real_survey.scan
    for i in range(0, len(scan), 997):
        pixels = load_rgb(real_survey.index.records[i].path)
        assert np.array_equal(grey_thumbnail(pixels), scan.thumbnails[i])


def test_module_docstring_cites_the_results_file():
    assert "benchmarks/results/plane_labels.md" in planes.__doc__
    assert LABEL_COLUMNS[:3] == ("sha256", "plane", "how")


def test_balancing_repeats_lifts_a_rare_plane_of_a_class_up_to_the_cap():
    labels = ["notumor"] * 100 + ["notumor"] * 5 + ["notumor"] * 10 + ["glioma"] * 40
    planes = ["axial"] * 100 + ["sagittal"] * 5 + ["coronal"] * 10 + ["sagittal"] * 40
    repeats = balancing_repeats(labels, planes, floor=0.25, cap=4)
    assert repeats[:100] == [1] * 100  # the commonest plane of its class
    assert set(repeats[100:105]) == {4}  # 25 wanted, 5 there: capped at 4
    assert set(repeats[105:115]) == {2}  # 25 wanted, 10 there: 2.5 rounds to 2
    assert set(repeats[115:]) == {1}  # glioma has one plane only: nothing to lift
    assert balancing_repeats(labels, planes, cap=1) == [1] * len(labels)
    with pytest.raises(ValueError, match="one of each"):
        balancing_repeats(labels, planes[:-1])


def test_planes_of_predicts_a_file_the_labels_do_not_know(synthetic):
    from mri_course.data.decode import load_rgb
    from mri_course.data.index import index_dataset

    records = index_dataset(synthetic.root).records[:3]
    assert planes_of(records) == [predict_plane(load_rgb(r.path))[0] for r in records]


@pytest.mark.real_data
def test_plane_balancing_repeats_shows_healthy_side_views_more_often(real_survey):
    from mri_course import load_settings

    settings = load_settings()
    train = real_survey.splits(settings.profile.val_fraction, settings.seed).train
    repeats = plane_balancing_repeats(train)
    repeated = [r for r in train if r.relpath in repeats]
    assert repeated and {r.label for r in repeated} == {"notumor"}
    assert {plane_of(r) for r in repeated} == {"coronal", "sagittal"}
