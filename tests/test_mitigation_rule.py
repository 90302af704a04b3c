"""The rule that chooses the shipped CNN among candidates (``benchmarks/mitigation_report.py``).

It decides on validation figures alone; these tests feed it figures by hand, so each clause
is seen to let a model through or stop it.
"""

from benchmark_scripts import load_benchmark

report = load_benchmark("mitigation_report")


def model(accuracy: float, crop_loss: float, turn_loss: float) -> dict:
    """Validation figures of a model: its accuracy and what each target perturbation costs."""
    return {
        "validation": {
            "accuracy": accuracy,
            "border_crop_15": accuracy - crop_loss,
            "rotation_10": accuracy - turn_loss,
        }
    }


def test_the_target_perturbations_are_the_stress_reports():
    assert set(report.TARGET_KEYS) == {"border_crop_15", "rotation_10"}


def test_a_candidate_as_accurate_and_within_tolerance_may_replace():
    before = model(0.970, crop_loss=0.049, turn_loss=0.006)
    assert report.may_replace(before, model(0.970, crop_loss=0.020, turn_loss=0.0)) == []


def test_a_less_accurate_candidate_may_not():
    before = model(0.970, crop_loss=0.049, turn_loss=0.006)
    why = report.may_replace(before, model(0.969, crop_loss=0.0, turn_loss=0.0))
    assert why == ["less accurate on validation"]


def test_losing_more_than_the_tolerance_to_either_perturbation_stops_a_candidate():
    before = model(0.970, crop_loss=0.0, turn_loss=0.0)
    crop = report.may_replace(before, model(0.98, crop_loss=0.021, turn_loss=0.0))
    turn = report.may_replace(before, model(0.98, crop_loss=0.0, turn_loss=0.021))
    assert crop == ["loses 2.1 points on validation to border_crop_15"]
    assert turn == ["loses 2.1 points on validation to rotation_10"]


def test_the_most_accurate_qualifying_candidate_ships():
    models = {
        "before": model(0.970, crop_loss=0.049, turn_loss=0.006),
        "fragile": model(0.990, crop_loss=0.030, turn_loss=0.0),
        "good": model(0.975, crop_loss=0.0, turn_loss=0.007),
        "better": model(0.982, crop_loss=0.001, turn_loss=0.007),
    }
    decision = report.decide(models)
    assert decision.startswith("better ships:")
    assert "good also qualified" in decision
    assert "fragile loses 3.0 points on validation to border_crop_15" in decision


def test_a_later_candidate_must_beat_the_one_that_ships_not_tie_it():
    shipping = model(0.982, crop_loss=0.001, turn_loss=0.007)
    tie = model(0.982, crop_loss=0.0, turn_loss=0.0)
    models = {"before": model(0.970, crop_loss=0.049, turn_loss=0.006)}
    assert report.decide({**models, "shipping": shipping, "tie": tie}).startswith("shipping ")
    better = model(0.983, crop_loss=0.0, turn_loss=0.0)
    assert report.decide({**models, "shipping": shipping, "better": better}).startswith("better ")


def test_the_first_model_stays_when_no_candidate_qualifies():
    models = {
        "before": model(0.970, crop_loss=0.049, turn_loss=0.006),
        "worse": model(0.958, crop_loss=0.023, turn_loss=0.0),
    }
    assert report.decide(models).startswith("before stays: worse less accurate on validation")
