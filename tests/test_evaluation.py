"""Lesson 05's evaluation: metrics by hand and by scikit-learn, intervals, calibration, report."""

import json
from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

from mri_course.cli import main
from mri_course.config import load_settings
from mri_course.data.survey import survey_dataset
from mri_course.evaluation.bootstrap import bootstrap_interval
from mri_course.evaluation.calibration import (
    confident_predictions,
    expected_calibration_error,
    reliability_bins,
)
from mri_course.evaluation.metrics import (
    classification_report,
    confusion_matrix,
    per_class_precision,
    per_class_recall,
    per_class_scores,
    validate_labels,
)
from mri_course.evaluation.predict import Predictions, predict
from mri_course.evaluation.report import comparison_markdown, evaluate_model, score_subset
from mri_course.evaluation.temperature import fit_temperature
from mri_course.evaluation.uncertainty import Uncertainty
from mri_course.training.save import card_path, load_card

# --- confusion matrix, recall, precision --------------------------------------------------


def test_confusion_matrix_by_hand_is_scikit_learns():
    rng = np.random.default_rng(0)
    true, predicted = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    expected = sklearn_confusion_matrix(true, predicted, labels=[0, 1, 2, 3])
    np.testing.assert_array_equal(confusion_matrix(true, predicted), expected)


def test_a_class_never_predicted_keeps_its_column():
    matrix = confusion_matrix([0, 1, 2, 3], [0, 0, 2, 2])
    assert matrix.shape == (4, 4) and matrix[:, 1].sum() == 0 and matrix[:, 3].sum() == 0
    assert np.isnan(per_class_precision(matrix)[1])
    scores = per_class_scores(np.array([0, 1, 2, 3]), np.array([0, 0, 2, 2]))
    assert scores["meningioma"]["precision"] == 0.0 and scores["meningioma"]["support"] == 1
    assert "meningioma" in classification_report(np.array([0, 1, 2, 3]), np.array([0, 0, 2, 2]))


def test_recall_counted_by_hand():
    matrix = np.array([[8, 2, 0, 0], [1, 9, 0, 0], [0, 0, 10, 0], [0, 0, 0, 0]])
    recall = per_class_recall(matrix)
    np.testing.assert_allclose(recall[:3], [0.8, 0.9, 1.0])
    assert np.isnan(recall[3]), "a class with no examples has no recall"
    np.testing.assert_allclose(per_class_precision(matrix)[:2], [8 / 9, 9 / 11])


def test_a_single_sample_is_scored():
    matrix = confusion_matrix([2], [2])
    assert matrix.sum() == 1 and matrix[2, 2] == 1
    predictions = Predictions((), np.zeros((0, 4)))
    assert predictions.labels.size == 0


def test_mismatched_or_invalid_labels_get_a_clear_message():
    with pytest.raises(ValueError, match="3 true labels but 2 predicted"):
        confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match=r"true labels must lie in 0\.\.3, got -1\.\.0"):
        confusion_matrix([-1, 0], [0, 0])
    with pytest.raises(ValueError, match=r"predicted labels must lie in 0\.\.3"):
        confusion_matrix([0, 1], [0, 4])
    with pytest.raises(ValueError, match="integer class indices"):
        confusion_matrix([0.7], [0])
    assert validate_labels([], 4).size == 0


# --- calibration -----------------------------------------------------------------------------


def test_expected_calibration_error_by_hand():
    # Bin (0.6, 0.7]: two predictions at 0.65 confidence, one right -> gap 0.15.
    # Bin (0.9, 1.0]: two predictions at 0.95 confidence, both right -> gap 0.05.
    probabilities = np.array(
        [
            [0.65, 0.35, 0, 0],
            [0.35, 0.65, 0, 0],
            [0.95, 0.05, 0, 0],
            [0, 0, 0.95, 0.05],
        ]
    )
    labels = np.array([0, 0, 0, 2])
    assert expected_calibration_error(probabilities, labels) == pytest.approx(
        0.5 * 0.15 + 0.5 * 0.05
    )
    bins = reliability_bins(probabilities, labels)
    assert [b.count for b in bins] == [0, 0, 0, 0, 0, 0, 2, 0, 0, 2]
    assert bins[6].accuracy == 0.5 and bins[9].mean_confidence == pytest.approx(0.95)


def test_a_confidence_of_exactly_one_is_counted():
    assert expected_calibration_error(np.array([[1.0, 0, 0, 0]]), np.array([1])) == 1.0


def test_probabilities_that_do_not_sum_to_one_are_refused():
    with pytest.raises(ValueError, match="sum to 1"):
        expected_calibration_error(np.array([[0.5, 0.1, 0.1, 0.1]]), np.array([0]))
    with pytest.raises(ValueError, match="sum to 1"):
        Predictions((None,), np.array([[0.9, 0.9, 0, 0]]))


def test_what_99_percent_sure_means():
    probabilities = np.array([[0.995, 0.005, 0, 0]] * 3 + [[0.6, 0.4, 0, 0]])
    found = confident_predictions(probabilities, np.array([0, 0, 1, 0]), 0.99)
    assert (found.count, found.share, found.wrong) == (3, 0.75, 1)
    assert found.accuracy == pytest.approx(2 / 3)
    assert "1 wrong" in found.to_text()
    assert confident_predictions(probabilities, np.zeros(4, int), 0.999).accuracy is None


# --- intervals -------------------------------------------------------------------------------


def test_bootstrap_interval_brackets_the_accuracy_and_is_repeatable():
    correct = np.r_[np.ones(90), np.zeros(10)]
    low, high = bootstrap_interval(correct)
    assert low < 0.9 < high and 0.05 < high - low < 0.2
    assert bootstrap_interval(correct) == (low, high)
    assert bootstrap_interval(np.ones(50)) == (1.0, 1.0)
    narrower = bootstrap_interval(np.r_[np.ones(900), np.zeros(100)])
    assert narrower[1] - narrower[0] < (high - low) / 2, "ten times the data, a third the width"


def test_a_single_example_has_no_interval():
    with pytest.raises(ValueError, match="two or more examples"):
        bootstrap_interval(np.array([1.0]))


# --- predictions and the report ---------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory, synthetic):
    from mri_course.training import train

    folder = tmp_path_factory.mktemp("evaluation")
    settings = load_settings(
        {
            "MRI_COURSE_PROFILE": "fast",
            "MRI_COURSE_MODELS": str(folder / "models"),
            "MRI_COURSE_CACHE": str(folder / "cache"),
        }
    )
    survey = survey_dataset(synthetic.root, progress=False)
    return settings, survey, train("cnn", settings, survey=survey, verbose=0)


def test_the_report_scores_every_subset_from_one_prediction_of_the_test_set(trained):
    settings, survey, result = trained
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    brief = survey.brief_splits()
    report, predictions = evaluate_model(result.model, splits, brief, "tiny", "memory")
    names = [s.name for s in report.subsets]
    assert names == ["val", "test", "clean_test", "copied_test", "brief_test"]
    assert report.subset("test").images == len(splits.test)
    assert report.subset("clean_test").images == len(splits.clean_test) < len(splits.test)
    copied = report.subset("copied_test")
    assert copied.images + report.subset("clean_test").images == len(splits.test)
    assert copied.confusion.sum() == copied.images
    assert report.subset("brief_test").images == len(brief.test)
    test = report.subset("test")
    assert test.accuracy == pytest.approx(result.card["metrics"]["test"]["accuracy"], abs=1e-4)
    assert test.confusion.sum() == test.images
    low, high = test.interval
    assert low <= test.accuracy <= high
    np.testing.assert_allclose(
        predictions["clean_test"].probabilities,
        predict(result.model, splits.clean_test).probabilities,
        atol=1e-5,
    )
    saved = json.loads(report.to_json())
    assert saved["subsets"]["clean_test"]["images"] == len(splits.clean_test)
    assert "| clean_test |" in report.to_markdown()
    assert "95% interval" in report.to_text()
    table = comparison_markdown([report], ["Xception: not trained yet"])
    assert "| tiny |" in table and "Xception: not trained yet" in table
    assert report.to_text().startswith("tiny (memory)\n")
    assert "Model: `memory`" in report.to_markdown()
    unnamed = replace(report, source="")
    assert unnamed.to_text().startswith("tiny\n")
    assert "Model:" not in unnamed.to_markdown()


def test_the_report_fits_a_temperature_and_95_percent_sets_on_validation(trained):
    settings, survey, result = trained
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    report, predictions = evaluate_model(result.model, splits, survey.brief_splits(), "tiny")
    val = predictions["val"]
    fitted = report.uncertainty
    assert fitted.temperature == pytest.approx(fit_temperature(val.probabilities, val.labels))
    assert np.array_equal(
        fitted.calibrated(val.probabilities).argmax(axis=1), val.probabilities.argmax(axis=1)
    )
    for subset in report.subsets:
        sets = subset.uncertainty["sets_class_conditional"]
        assert 1 <= sets["mean_size"] <= 4 and 0 <= sets["coverage"] <= 1
        assert sets["errors_with_several_classes"] <= sets["errors"]
    # On its own calibration scans the guarantee holds by construction.
    assert report.subset("val").uncertainty["sets_marginal"]["coverage"] >= 0.95
    saved = json.loads(report.to_json())
    assert Uncertainty.from_dict(saved["uncertainty"]) == fitted
    assert Uncertainty.from_card({"uncertainty": saved["uncertainty"]}) == fitted
    assert Uncertainty.from_card({"name": "uncalibrated"}) is None
    assert Uncertainty.from_card(None) is None
    assert "## Calibration and 95% prediction sets" in report.to_markdown()
    assert "95% set holds truth" in report.to_text()


def test_a_subset_of_one_scan_has_no_interval_but_a_score(trained):
    settings, survey, result = trained
    one = predict(result.model, survey.splits(0.15, 42).test[:1])
    scores = score_subset(one, "one")
    assert scores.images == 1 and scores.interval is None
    assert scores.accuracy in (0.0, 1.0)
    with pytest.raises(ValueError, match="empty"):
        score_subset(one.subset([]), "none")


def test_mri_course_evaluate_writes_json_and_markdown(trained, tmp_path, capsys):
    settings, survey, result = trained
    code = main(
        [
            "evaluate",
            str(result.path),
            "--profile",
            "fast",
            "--data",
            str(survey.root),
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "clean_test" in out and "official test:" in out
    saved = json.loads((tmp_path / "cnn_fast.evaluation.json").read_text())
    assert set(saved["subsets"]) == {"val", "test", "clean_test", "copied_test", "brief_test"}
    assert (tmp_path / "cnn_fast.evaluation.md").read_text().startswith("# Evaluation of cnn_fast")


def test_mri_course_calibrate_records_the_uncertainty_in_the_card(trained, tmp_path, capsys):
    settings, survey, result = trained
    copy = tmp_path / "copy.keras"
    copy.write_bytes(result.path.read_bytes())
    args = ["calibrate", str(copy), "--profile", "fast", "--data", str(survey.root), "--quiet"]
    assert main(args) == 2
    assert "has no model card" in capsys.readouterr().err
    card_path(copy).write_text(card_path(result.path).read_text())
    assert main(args) == 0
    recorded = Uncertainty.from_dict(load_card(copy)["uncertainty"])
    splits = survey.splits(settings.profile.val_fraction, settings.seed)
    val = predict(result.model, splits.val)
    assert recorded.temperature == pytest.approx(fit_temperature(val.probabilities, val.labels))
    assert "temperature" in capsys.readouterr().out


def test_mri_course_evaluate_names_what_it_cannot_find(capsys):
    assert main(["evaluate", "no-such-model", "--profile", "fast"]) == 2
    assert "neither a model file" in capsys.readouterr().err


@pytest.mark.real_data
def test_the_shipped_cnn_report_on_the_real_data(real_root, tmp_path):
    from mri_course.models.shipped import load_shipped_cnn, shipped_card

    card = shipped_card()
    survey = survey_dataset(real_root, progress=False)
    split = card["data"]["split"]
    splits = survey.splits(split["val_fraction"], split["seed"])
    report, _ = evaluate_model(load_shipped_cnn(), splits, survey.brief_splits(), "shipped")
    assert report.subset("test").images == 1311 and report.subset("clean_test").images == 753
    assert report.subset("brief_test").images == 656
    assert report.subset("copied_test").images == 558
    for subset in ("test", "clean_test"):
        assert report.subset(subset).accuracy == pytest.approx(
            card["metrics"][subset]["accuracy"], abs=2e-3
        )
