"""The synthetic dataset: deterministic, in the Kaggle layout, with masks, and learnable."""

import keras
import numpy as np
import pytest

from mri_course.data.index import index_dataset
from mri_course.data.pipeline import make_dataset
from mri_course.data.synthetic import (
    ensure_synthetic_dataset,
    make_synthetic_dataset,
    render_scan,
)


def _file_bytes(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    one = make_synthetic_dataset(tmp_path / "a", 3, 2, size=64, seed=1)
    two = make_synthetic_dataset(tmp_path / "b", 3, 2, size=64, seed=1)
    three = make_synthetic_dataset(tmp_path / "c", 3, 2, size=64, seed=2)
    assert _file_bytes(one.root) == _file_bytes(two.root)
    assert _file_bytes(one.root) != _file_bytes(three.root)


def test_layout_counts_and_manifest(synthetic):
    index = index_dataset(synthetic.root)
    assert index.problems == ()
    assert index.counts() == synthetic.counts
    assert synthetic.counts["Training"]["glioma"] == 12
    assert (synthetic.root / "Training" / "notumor" / "Tr-sy-no_0001.jpg").read_bytes()[:4] == (
        b"\x89PNG"
    )


def test_masks_mark_the_lesions(synthetic):
    for record in index_dataset(synthetic.root).in_split("Training"):
        mask = synthetic.mask_for(record.relpath)
        if record.label == "notumor":
            assert not mask.any()
        else:
            assert 0 < mask.mean() < 0.1, record.relpath


@pytest.mark.parametrize("label", ["glioma", "meningioma", "pituitary"])
def test_lesions_are_where_their_class_puts_them(label):
    rng = np.random.default_rng(0)
    rows, cols = [], []
    for _ in range(20):
        _, mask = render_scan(label, 96, rng)
        y, x = np.nonzero(mask)
        rows.append(y.mean() / 96)
        cols.append(abs(x.mean() / 96 - 0.5))
    if label == "pituitary":  # low in the head, on the midline
        assert min(rows) > 0.6 and max(cols) < 0.06
    elif label == "meningioma":  # upper half, against the skull
        assert max(rows) < 0.5
    else:  # glioma: inside one hemisphere, off the midline
        assert min(cols) > 0.1


def test_unknown_labels_and_tiny_sets_are_refused(tmp_path):
    with pytest.raises(ValueError, match="label must be one of"):
        render_scan("astrocytoma", 64, np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least 3 training"):
        make_synthetic_dataset(tmp_path / "x", 2, 2)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    with pytest.raises(FileExistsError, match="not empty"):
        make_synthetic_dataset(tmp_path / "full")


def test_ensure_generates_once_and_reuses(tmp_path):
    first = ensure_synthetic_dataset(tmp_path, 3, 2, size=64, seed=0)
    stamp = (first.root / "synthetic.json").stat().st_mtime_ns
    second = ensure_synthetic_dataset(tmp_path, 3, 2, size=64, seed=0)
    assert second.root == first.root
    assert (second.root / "synthetic.json").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.root.name]  # no scratch left


def test_a_tiny_model_learns_the_synthetic_classes(tmp_path):
    from mri_course.data.survey import survey_dataset

    dataset = make_synthetic_dataset(tmp_path / "data", 30, 10, size=128, seed=5)
    splits = survey_dataset(dataset.root, progress=False).splits(0.2, seed=0)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((64, 64, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(16, 3, activation="relu", padding="same"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu", padding="same"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu", padding="same"),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    train = make_dataset(splits.train, 64, 16, training=True, seed=0)
    test = make_dataset(splits.test, 64, 40, training=False, seed=0)
    _, before = model.evaluate(test, verbose=0)
    model.fit(train, epochs=40, verbose=0, shuffle=False)  # the dataset shuffles itself
    _, after = model.evaluate(test, verbose=0)
    assert before < 0.5
    assert after >= 0.85, f"test accuracy {after:.2f} after 40 epochs"
