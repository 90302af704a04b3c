"""Temperature scaling and split conformal prediction, against MAPIE and the guarantee."""

import math

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.metrics import log_loss

from mri_course.evaluation.conformal import (
    accuracy_coverage,
    class_scores,
    conformal_quantile,
    coverage_by_class,
    fit_conformal,
)
from mri_course.evaluation.temperature import fit_temperature, scale_probabilities
from mri_course.testing.given_probabilities import GivenProbabilities


def _calibrated(n: int, seed: int, classes: int = 4, sharpness: float = 3.0):
    """Probabilities and labels drawn from them: a perfectly calibrated model's output."""
    rng = np.random.default_rng(seed)
    probabilities = softmax(sharpness * rng.normal(size=(n, classes)), axis=1)
    labels = np.array([rng.choice(classes, p=row) for row in probabilities])
    return probabilities, labels


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.2])
def test_lac_thresholds_and_sets_agree_with_mapie(alpha):
    from mapie.classification import SplitConformalClassifier

    calibration, calibration_labels = _calibrated(400, seed=1)
    new, _ = _calibrated(300, seed=2)
    estimator = GivenProbabilities().fit(calibration, calibration_labels)
    mapie = SplitConformalClassifier(estimator, confidence_level=1 - alpha, prefit=True)
    mapie.conformalize(calibration, calibration_labels)
    _, mapie_sets = mapie.predict_set(new)
    ours = fit_conformal(calibration, calibration_labels, alpha, "lac")
    assert np.array_equal(ours.sets(new), mapie_sets[:, :, 0])
    true_scores = 1 - calibration[np.arange(400), calibration_labels]
    assert ours.thresholds[0] == conformal_quantile(true_scores, alpha)


def test_the_quantile_is_the_corrected_order_statistic():
    scores = np.arange(1, 20) / 20.0  # 19 scores
    assert conformal_quantile(scores, 0.1) == scores[17]  # ceil(20 * 0.9) = 18th smallest
    assert conformal_quantile(scores, 0.05) == scores[18]  # ceil(20 * 0.95) = 19th
    assert conformal_quantile(scores[:10], 0.05) == math.inf  # ceil(11 * 0.95) = 11 > 10
    assert conformal_quantile(scores[::-1], 0.1) == scores[17], "order of input irrelevant"
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="alpha"):
            conformal_quantile(scores, bad)
    with pytest.raises(ValueError, match="empty"):
        conformal_quantile([], 0.1)


@pytest.mark.parametrize("method", ["lac", "aps"])
def test_coverage_holds_on_exchangeable_scans_and_is_not_wasteful(method):
    coverages = []
    for seed in range(200):
        probabilities, labels = _calibrated(600, seed=100 + seed)
        predictor = fit_conformal(probabilities[:300], labels[:300], 0.1, method)
        sets = predictor.sets(probabilities[300:])
        coverages.append(sets[np.arange(300), labels[300:]].mean())
    # Expected: ceil(301 * 0.9) / 301 = 0.9003; 200 draws put the mean within +-0.005.
    assert 0.895 <= np.mean(coverages) <= 0.91


def test_class_conditional_thresholds_cover_every_class():
    probabilities, labels = _calibrated(4000, seed=7)
    # A model that is worse on class 3: its probability of class 3 is halved.
    probabilities[:, 3] /= 2
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    half = 2000
    marginal = fit_conformal(probabilities[:half], labels[:half], 0.1, "lac")
    mondrian = fit_conformal(probabilities[:half], labels[:half], 0.1, "lac", True)
    assert len(set(mondrian.thresholds)) == 4 and len(set(marginal.thresholds)) == 1
    test_p, test_labels = probabilities[half:], labels[half:]
    by_class = coverage_by_class(mondrian.sets(test_p), test_labels, 4)
    assert np.all(by_class >= 0.87)
    assert coverage_by_class(marginal.sets(test_p), test_labels, 4)[3] < by_class[3]


def test_aps_scores_rank_the_classes_and_sets_are_nested():
    probabilities = np.array([[0.6, 0.25, 0.1, 0.05], [0.1, 0.2, 0.3, 0.4]])
    np.testing.assert_allclose(class_scores(probabilities, "aps")[0], [0.6, 0.85, 0.95, 1.0])
    np.testing.assert_allclose(class_scores(probabilities, "lac")[1], [0.9, 0.8, 0.7, 0.6])
    calibration, labels = _calibrated(500, seed=3)
    predictor = fit_conformal(calibration, labels, 0.1, "aps")
    new, _ = _calibrated(200, seed=4)
    sets = predictor.sets(new)
    ranks = np.argsort(np.argsort(-new, axis=1), axis=1)  # 0 = the top class
    sizes = sets.sum(axis=1)
    assert np.all(sets == (ranks < sizes[:, None])), "an APS set is the top classes"
    with pytest.raises(ValueError, match="method"):
        class_scores(probabilities, "raps")


def test_coverage_by_class_gives_nan_for_an_absent_class():
    sets = np.array([[True, False, False, False], [False, True, True, False], [True] * 4])
    found = coverage_by_class(sets, np.array([0, 2, 1]), 4)
    np.testing.assert_array_equal(found[:3], [1.0, 1.0, 1.0])
    assert np.isnan(found[3])
    assert coverage_by_class(sets, np.array([1, 0, 1]), 4)[1] == 0.5
    with pytest.raises(ValueError, match="shape"):
        coverage_by_class(sets, np.array([0, 1]), 4)


def test_temperature_recovers_an_overconfident_model_and_keeps_every_prediction():
    rng = np.random.default_rng(0)
    logits = 2.0 * rng.normal(size=(3000, 4))
    labels = np.array([rng.choice(4, p=row) for row in softmax(logits / 2.5, axis=1)])
    overconfident = softmax(logits, axis=1)  # the truth is softer by a factor 2.5
    temperature = fit_temperature(overconfident, labels)
    assert temperature == pytest.approx(2.5, rel=0.1)
    scaled = scale_probabilities(overconfident, temperature)
    assert np.array_equal(scaled.argmax(axis=1), overconfident.argmax(axis=1))
    assert log_loss(labels, scaled) < log_loss(labels, overconfident)
    np.testing.assert_allclose(scale_probabilities(overconfident, 1.0), overconfident, atol=1e-12)
    with pytest.raises(ValueError, match="positive"):
        scale_probabilities(overconfident, 0.0)


def test_the_accuracy_coverage_curve_ends_at_the_plain_accuracy():
    probabilities, labels = _calibrated(500, seed=9)
    coverage, accuracy, threshold = accuracy_coverage(probabilities, labels)
    assert coverage[0] == 1 / 500 and coverage[-1] == 1.0
    assert accuracy[-1] == np.mean(probabilities.argmax(axis=1) == labels)
    assert np.all(np.diff(threshold) <= 0), "answered from the most confident down"
    assert accuracy[:50].mean() > accuracy[-1], "the confident answers are the better ones"
