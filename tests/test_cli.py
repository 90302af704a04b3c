"""The mri-course command, end to end on the synthetic data."""

import json

import keras
import pytest

from mri_course.cli import main


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("MRI_COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MRI_COURSE_PROFILE", "fast")
    monkeypatch.delenv("MRI_COURSE_DATA", raising=False)


def test_settings(capsys):
    assert main(["settings"]) == 0
    assert "profile : fast" in capsys.readouterr().out


def test_data_verify_on_the_fast_profile(capsys):
    assert main(["data", "verify", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "OK: every file decodes and the counts match." in out
    assert "Tr-sy-no_0001.jpg is PNG" in out


def test_data_verify_fails_with_the_problems_listed(synthetic, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(synthetic.root, broken)
    (broken / "Testing" / "glioma" / "Te-sy-gl_0002.png").write_bytes(b"")
    assert main(["data", "verify", "--data", str(broken), "--quiet"]) == 1
    assert "Testing/glioma/Te-sy-gl_0002.png: empty file" in capsys.readouterr().out


def test_data_leakage_prints_and_writes_json(tmp_path, capsys):
    target = tmp_path / "leakage.json"
    assert main(["data", "leakage", "--quiet", "--json", str(target)]) == 0
    out = capsys.readouterr().out
    assert "have a copy in Training" in out and "Examples" in out
    assert json.loads(target.read_text())["rows"][0]["split"] == "Training"


def test_data_splits(capsys):
    assert main(["data", "splits", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "course split" in out and "brief split" in out


def test_progress_lists_the_exercises(capsys):
    assert main(["progress"]) == 0
    assert "count_images_per_class" in capsys.readouterr().out


def test_missing_data_gives_a_clear_message_and_exit_code_2(tmp_path, capsys):
    assert main(["data", "verify", "--data", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "is not a folder" in err and "MRI_COURSE_DATA" in err
    assert "Traceback" not in err


def test_a_bad_profile_gives_a_clear_message(capsys):
    assert main(["--profile", "huge", "settings"]) == 2
    assert "profile='huge' is not a profile" in capsys.readouterr().err


def test_profile_is_accepted_after_the_command(capsys, monkeypatch):
    monkeypatch.setenv("MRI_COURSE_PROFILE", "cpu")
    assert main(["settings", "--profile", "fast"]) == 0
    assert "profile : fast" in capsys.readouterr().out
    assert main(["data", "verify", "--profile", "fast", "--quiet"]) == 0


def test_a_damaged_dataset_gives_a_message_not_a_traceback(synthetic, tmp_path, capsys):
    import shutil

    damaged = tmp_path / "damaged"
    shutil.copytree(synthetic.root, damaged)
    for path in (damaged / "Testing" / "pituitary").iterdir():
        path.unlink()
    assert main(["data", "splits", "--data", str(damaged), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "needs 2 or more images of each; pituitary has 0" in err
    assert "Traceback" not in err


def test_train_the_fast_cnn_from_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MRI_COURSE_MODELS", str(tmp_path / "models"))
    assert main(["train", "cnn", "--quiet", "--name", "from_cli"]) == 0
    out = capsys.readouterr().out
    assert "saved" in out and "from_cli.keras" in out and "clean_test" in out
    card = json.loads((tmp_path / "models" / "from_cli.card.json").read_text())
    # the profile came from MRI_COURSE_PROFILE; the card names it, so the line runs alone
    assert (
        card["training"]["command"] == "mri-course train cnn --profile fast --quiet --name from_cli"
    )


def test_only_the_cnn_can_be_shipped(capsys):
    assert main(["train", "xception", "--ship"]) == 2
    assert "only the compact CNN" in capsys.readouterr().err
    assert main(["train", "cnn", "--ship"]) == 2  # the fast profile: synthetic data


def test_audit_the_shipped_cnn_beyond_the_test_set(tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["audit", "shipped_cnn", "--only", "metadata", "mni152", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "sees only the file, never the brain" in printed and "sagittal" in printed
    report = json.loads((out / "shipped_cnn.audit.json").read_text())
    assert set(report["mni152"]) == {"axial", "coronal", "sagittal"}
    baseline = report["metadata_baseline"]
    assert baseline["chosen"] == max(baseline["validation"], key=baseline["validation"].get)
    assert "stress_clean_test" not in report  # only what was asked for


def test_audit_names_an_unknown_model(capsys):
    assert main(["audit", "no_such_model", "--only", "mni152"]) == 2
    assert "neither a model file (.keras) nor one of the course's models" in (
        capsys.readouterr().err
    )


def test_an_unknown_augmentation_is_refused_before_training(capsys):
    assert main(["train", "cnn", "--profile", "fast", "--augmentation", "heavy"]) == 2
    err = capsys.readouterr().err
    assert "--augmentation must be one of none, light, full, robust" in err and "'heavy'" in err


@pytest.mark.parametrize("command", [["train", "cnn"], ["evaluate", "cnn"], ["audit", "cnn"]])
def test_a_folder_that_cannot_be_written_is_named_before_any_work(command, tmp_path, capsys):
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the folder should be")
    folder = ["--out", str(blocked / "reports")] if command[0] != "train" else []
    env = {"MRI_COURSE_MODELS": str(blocked / "models")}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        assert main([*command, "--profile", "fast", *folder]) == 2
    err = capsys.readouterr().err
    assert "cannot write the" in err and str(blocked) in err and "Traceback" not in err


def test_train_a_cnn_that_crops_to_the_head(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MRI_COURSE_MODELS", str(tmp_path))
    options = ["--head-crop", "--augmentation", "framed", "--quiet", "--epochs", "1"]
    assert main(["train", "cnn", *options, "--label-smoothing", "0.1", "--name", "framed"]) == 0
    card = json.loads((tmp_path / "framed.card.json").read_text())
    assert card["training"]["recipe"]["head_crop"] is True
    assert card["training"]["recipe"]["augmentation"] == "framed"
    assert card["training"]["recipe"]["label_smoothing"] == 0.1
    assert "--label-smoothing 0.1" in card["training"]["command"]
    model = keras.models.load_model(tmp_path / "framed.keras", compile=False)
    assert model.layers[1].name == "head_crop"
    assert main(["train", "brief_cnn", "--head-crop"]) == 2
    assert "--head-crop is for the compact CNN" in capsys.readouterr().err
    assert main(["train", "cnn", "--label-smoothing", "1.5"]) == 2
    assert "--label-smoothing must be at least 0 and below 1" in capsys.readouterr().err


def test_audit_points_to_the_file_of_a_model_named_without_its_path(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MRI_COURSE_MODELS", str(tmp_path))
    (tmp_path / "mine.keras").write_bytes(b"")
    assert main(["audit", "mine", "--only", "mni152"]) == 2
    assert f"did you mean {tmp_path / 'mine.keras'}?" in capsys.readouterr().err
    assert main(["audit", "other", "--only", "mni152"]) == 2
    assert "did you mean" not in capsys.readouterr().err
    assert main(["audit", str(tmp_path / "missing.keras"), "--only", "mni152"]) == 2
    said = capsys.readouterr().err
    assert "no model file" in said and "train it first" in said and str(tmp_path) in said
