"""What killed runs leave is cleaned up when a run starts, and nothing else is touched."""

import os
import subprocess
import sys
import time
from pathlib import Path

import keras
import pytest

import mri_course.training.run as run_module
from mri_course.config import load_settings
from mri_course.data.survey import survey_dataset
from mri_course.training import train
from mri_course.training.leftovers import STALE_AFTER_SECONDS, remove_leftovers, run_tag
from mri_course.training.save import checked_card, load_card, save_trained_model

HOST = run_tag().rsplit("-", 1)[0]
OLD = time.time() - 2 * STALE_AFTER_SECONDS


@pytest.fixture
def settings(tmp_path, synthetic):
    return load_settings(
        {
            "MRI_COURSE_PROFILE": "fast",
            "MRI_COURSE_MODELS": str(tmp_path / "models"),
            "MRI_COURSE_CACHE": str(tmp_path / "cache"),
        }
    )


@pytest.fixture(scope="module")
def ended_pid() -> int:
    """The process id of a process that has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


@pytest.fixture(scope="module")
def running_pid():
    """The process id of another process that is still running (a concurrent run)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield process.pid
    process.kill()
    process.wait()


def _file(path: Path, megabytes: float = 0.0, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * int(megabytes * 2**20) or b"x")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_only_the_leftovers_of_ended_runs_are_removed(tmp_path, ended_pid, running_pid):
    models, checkpoints = tmp_path, tmp_path / "checkpoints"
    ended, running, mine = f"{HOST}-{ended_pid}", f"{HOST}-{running_pid}", run_tag()
    removed = [
        _file(models / f".cnn_fast.keras.abcd_123.{ended}.keras", 2),  # a killed save
        _file(models / f".cnn_fast.card.json.k2j4h5g6.{ended}.tmp"),
        _file(models / ".cnn_fast.ood.npz.zzzzzzzz.tmp", mtime=OLD),  # untagged, old
        _file(checkpoints / ".cnn_fast-20250101-000000.best.keras.q1w2e3r4.keras", mtime=OLD),
        _file(checkpoints / f"cnn_fast-20250101-000000.{ended}.best.keras", 3),
        _file(checkpoints / "cnn_fast-20250101-000001.best.keras", 1, mtime=OLD),  # untagged
        _file(checkpoints / f"cnn_fast-20250101-000002.{mine}.best.keras"),  # this kernel's
    ]
    kept = [
        _file(models / "cnn_fast.keras"),
        _file(models / "cnn_fast.card.json"),
        _file(models / "notes.txt", mtime=OLD),
        _file(models / ".gitignore", mtime=OLD),
        _file(models / ".bashrc.abcdefgh.tmp", mtime=OLD),  # the pattern, not a course file
        _file(models / ".cnn_fast.keras.abcdefgh.tmp"),  # untagged and new: may be written
        _file(models / f".cnn_fast.keras.abcdefgh.{running}.keras", mtime=OLD),
        _file(models / f".cnn_fast.keras.abcdefgh.{mine}.keras", mtime=OLD),
        _file(models / ".cnn_fast.keras.abcdefgh.other-machine-7.keras"),
        _file(checkpoints / f"cnn_fast-20250101-000003.{running}.best.keras", mtime=OLD),
        _file(checkpoints / f"cnn_cpu-20250101-000000.{ended}.best.keras"),  # another name
        _file(checkpoints / f"cnn_fast_big-20250101-000000.{ended}.best.keras"),
        _file(checkpoints / "cnn_fast-20250101-000004.best.keras"),  # untagged and new
        _file(checkpoints / "cnn_fast-20250101-000005.other-machine-7.best.keras", mtime=OLD),
        _file(checkpoints / f"cnn_fast-copy.{ended}.best.keras"),  # not a course stamp
    ]
    cleanup = remove_leftovers(models, "cnn_fast")
    assert sorted(cleanup.removed) == sorted(removed)
    assert not any(path.exists() for path in removed)
    assert all(path.exists() for path in kept)
    assert cleanup.summary(models, "cnn_fast") == (
        f"removed what interrupted runs left in {models}: 3 checkpoints of cnn_fast and "
        "4 temporary files (6.0 MB freed)"
    )
    assert remove_leftovers(models, "cnn_fast").summary(models, "cnn_fast") == ""


KILLED_SAVE = """
import os, signal, sys
import keras
from mri_course.training.save import save_trained_model

real_replace = os.replace

def replace(source, target):
    if str(target).endswith(".card.json"):
        os.kill(os.getpid(), signal.SIGKILL)  # killed between the model's rename and the card's
    real_replace(source, target)

os.replace = replace
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
save_trained_model(model, {"v": 2}, {"loss": [0.5]}, sys.argv[1])
"""


def test_a_killed_save_leaves_a_refused_card_and_leftovers_the_next_run_removes(tmp_path):
    path = tmp_path / "m.keras"
    save_trained_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), {}, {}, path)
    notes = _file(tmp_path / "notes.txt")
    killed = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], capture_output=True)
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert len(left) == 1 and left[0].startswith(".m.card.json."), left
    assert keras.models.load_model(path).output_shape == (None, 3), "the new model is in place"
    card, note = checked_card(path)
    assert card is None and "m.card.json describes another version of m.keras" in note
    assert remove_leftovers(tmp_path, "m").temporaries == (tmp_path / left[0],)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m.card.json",
        "m.history.json",
        "m.keras",
        "notes.txt",
    ]
    assert notes.read_bytes() == b"x"


def test_a_crashed_run_keeps_its_checkpoint_until_the_next_run_of_its_name(
    settings, synthetic, monkeypatch, capsys, ended_pid
):
    survey = survey_dataset(synthetic.root, progress=False)
    checkpoints = settings.models_dir / "checkpoints"

    def crash(*args, **kwargs):
        raise RuntimeError("killed after training")

    monkeypatch.setattr(run_module, "evaluate", crash)
    with pytest.raises(RuntimeError, match="killed after training"):
        train("cnn", settings, survey=survey, verbose=0)
    monkeypatch.undo()
    insurance = list(checkpoints.glob("cnn_fast-*.best.keras"))
    assert len(insurance) == 1 and run_tag() in insurance[0].name, "it survives the crash"
    assert keras.models.load_model(insurance[0]) is not None
    temporary = _file(settings.models_dir / f".cnn_fast.keras.abcdefgh.{HOST}-{ended_pid}.keras")
    other_name = _file(checkpoints / f"xception_fast-20250101-000000.{HOST}-{ended_pid}.best.keras")
    notes = _file(settings.models_dir / "notes.txt")
    capsys.readouterr()

    result = train("cnn", settings, survey=survey, verbose=0)
    assert (
        f"removed what interrupted runs left in {settings.models_dir}: 1 checkpoint of "
        "cnn_fast and 1 temporary file" in capsys.readouterr().out
    )
    assert not insurance[0].exists() and not temporary.exists()
    assert other_name.exists() and notes.exists()
    assert list(checkpoints.glob("cnn_fast-*")) == [], "the finished run removed its own"
    assert load_card(result.path) == result.card
