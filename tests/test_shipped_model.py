"""The CNN that ships with the course: present, described, and as good as its card says."""

import keras
import numpy as np
import pytest

from mri_course.models.cnn import last_conv_layer_name
from mri_course.models.framing import head_crop_of
from mri_course.models.shipped import SHIPPED_CNN, load_shipped_cnn, shipped_card
from mri_course.training.run import evaluate


@pytest.fixture(scope="module")
def card():
    found = shipped_card()
    assert found is not None, f"{SHIPPED_CNN.with_suffix('.card.json')} is missing"
    return found


def test_the_shipped_model_is_small_and_loads(card):
    assert SHIPPED_CNN.stat().st_size < 10 * 2**20, "the shipped model should be a few MB"
    model = load_shipped_cnn()
    assert model.input_shape == (None, 128, 128, 3) and model.output_shape == (None, 4)
    assert model.count_params() == card["parameters"]
    assert model.get_layer(last_conv_layer_name(model)) is not None
    assert head_crop_of(model) is not None, "it takes the whole image and zooms to the head"
    out = model.predict(np.zeros((1, 128, 128, 3)), verbose=0)
    assert np.isclose(out.sum(), 1, atol=1e-5)


def test_the_card_says_where_it_comes_from_and_holds_its_floors(card):
    assert card["profile"] == "cpu" and card["data"]["images"] == 7023
    assert card["training"]["command"].startswith("mri-course train cnn --profile cpu")
    assert card["training"]["wall_time_seconds"] < 2 * 3600
    assert card["hardware"]["cpu_cores"] >= 1
    assert card["metrics"]["test"]["images"] == 1311
    assert card["metrics"]["clean_test"]["images"] == 753
    # The course's targets for the shipped CNN (official 98.0%, clean 97.5%), which it meets
    # (shipped_cnn.evaluation.md); mitigation_report.md says why this model ships.
    assert card["metrics"]["test"]["accuracy"] >= 0.98
    assert card["metrics"]["clean_test"]["accuracy"] >= 0.975
    assert card["training"]["recipe"]["head_crop"], "the shipped CNN zooms to the head itself"


@pytest.mark.real_data
def test_the_card_matches_the_model_on_the_real_data(card, real_root):
    from mri_course.data.survey import survey_dataset

    survey = survey_dataset(real_root, progress=False)
    assert survey.scan.fingerprint() == card["data"]["fingerprint"]
    splits = survey.splits(card["data"]["split"]["val_fraction"], card["data"]["split"]["seed"])
    model = load_shipped_cnn()
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    scores = evaluate(model, splits.clean_test, 128, 64)
    assert scores["accuracy"] == pytest.approx(card["metrics"]["clean_test"]["accuracy"], abs=2e-3)
    assert isinstance(model, keras.Model)
