"""The exercise mechanism: generated stubs, fallback to the reference, checks, progress."""

import ast
import importlib
import importlib.util
import inspect
import subprocess
import sys
import textwrap
import types
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from mri_course.checks import (
    ERROR,
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    check,
    format_progress,
    progress,
    run_check,
)
from mri_course.config import project_root
from mri_course.exercises import generate
from mri_course.exercises.catalog import EXERCISES, LESSONS, exercise_by_id
from mri_course.exercises.runtime import exercise, is_stub, reference

ROOT = project_root()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The stub modules as the generator writes them, by lesson number; not the learner's
    files, which may hold their work."""
    folder = tmp_path_factory.mktemp("stubs")
    modules = {}
    for lesson in LESSONS:
        path = folder / f"generated_lesson{lesson.number}.py"
        path.write_text(generate.student_module_source(lesson), encoding="utf-8")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules[lesson.number] = module
    return modules


@pytest.fixture(scope="module")
def lesson01(generated):
    return generated["01"]


def _stub(generated, entry):
    return getattr(generated[entry.lesson], entry.name)


# --- one source of truth ----------------------------------------------------------------


def _committed(path: Path) -> str:
    """The committed text of a file (a learner's edits to their stubs do not count)."""
    relative = path.relative_to(ROOT).as_posix()
    shown = subprocess.run(
        ["git", "show", f"HEAD:{relative}"], cwd=ROOT, capture_output=True, text=True
    )
    return shown.stdout if shown.returncode == 0 else path.read_text(encoding="utf-8")


def test_committed_student_files_are_what_the_generator_writes():
    expected = generate.expected_files(ROOT)
    assert expected, "the generator produced nothing"
    stale = [
        str(path.relative_to(ROOT))
        for path, text in expected.items()
        if not path.exists() or _committed(path) != text
    ]
    assert not stale, (
        f"regenerate with `{generate.GENERATE_COMMAND}` and commit: {', '.join(stale)}"
    )


def test_every_lesson_with_exercises_has_stubs_solutions_and_notebooks():
    for lesson in LESSONS:
        assert (ROOT / "lessons" / lesson.notebook).is_file()
        assert (ROOT / "solutions" / lesson.notebook).is_file()
        assert (ROOT / "solutions" / "exercises" / f"lesson{lesson.number}.py").is_file()


def test_each_lesson_has_two_to_four_exercises():
    for lesson in LESSONS:
        count = sum(e.lesson == lesson.number for e in EXERCISES)
        assert 2 <= count <= 4, f"lesson {lesson.number} has {count} exercises"


def test_stubs_keep_signature_and_docstring_and_add_hints(generated):
    for entry in EXERCISES:
        stub = _stub(generated, entry)
        ref = reference(entry)
        assert (
            stub.learner_function.__code__.co_varnames[: ref.__code__.co_argcount]
            == (ref.__code__.co_varnames[: ref.__code__.co_argcount])
        )
        assert stub.__doc__.startswith(ref.__doc__.strip().splitlines()[0])
        assert "Hints:" in stub.__doc__
        assert is_stub(stub.learner_function)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.number)
def test_solution_files_are_the_package_code(lesson):
    path = ROOT / "solutions" / "exercises" / f"lesson{lesson.number}.py"
    source = path.read_text()
    namespace: dict = {}
    exec(compile(source, str(path), "exec"), namespace)  # it runs
    copies = {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    for entry in (e for e in EXERCISES if e.lesson == lesson.number):
        original = ast.parse(textwrap.dedent(inspect.getsource(reference(entry)))).body[0]
        assert ast.dump(copies[entry.name]) == ast.dump(original), entry.name
        assert callable(namespace[entry.name])


def test_notebook_solution_regions_become_placeholders():
    solution = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [{"x": 1}],
                "execution_count": 3,
                "source": "a = 1\n### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\nprint(a)",
            },
            {
                "cell_type": "code",
                "metadata": {"tags": ["solution"]},
                "outputs": [],
                "execution_count": None,
                "source": "show_the_answer()",
            },
            {"cell_type": "markdown", "metadata": {}, "source": "Text"},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    student = generate.student_notebook(solution)
    assert [c["cell_type"] for c in student["cells"]] == ["code", "markdown"]
    code = student["cells"][0]
    assert code["source"] == "a = 1\n# YOUR CODE HERE\nprint(a)"
    assert code["outputs"] == [] and code["execution_count"] is None
    assert solution["cells"][0]["outputs"] == [{"x": 1}]  # the solution is not modified
    broken = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "source": "### BEGIN SOLUTION\nx = 1",
            }
        ]
    }
    with pytest.raises(ValueError, match="without ### END SOLUTION"):
        generate.student_notebook(broken)


def test_the_generator_writes_checks_and_keeps_a_learners_work(tmp_path, monkeypatch, capsys):
    fake_root = tmp_path / "checkout"
    (fake_root / "solutions").mkdir(parents=True)
    for lesson in LESSONS:
        source = ROOT / "solutions" / lesson.notebook
        (fake_root / "solutions" / lesson.notebook).write_text(_committed(source))
    monkeypatch.setattr(generate, "project_root", lambda: fake_root)
    assert generate.main(["--check"]) == 1  # nothing generated there yet
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0

    stubs = fake_root / "mri_course" / "exercises" / "lesson01.py"
    solved = stubs.read_text().replace(
        'raise NotImplementedError("Exercise 1.1: write count_images_per_class here")',
        "return {}",
    )
    stubs.write_text(solved)
    assert generate.attempted_exercises(stubs) == ["count_images_per_class"]
    assert generate.main(["--check"]) == 1
    capsys.readouterr()
    generate.main([])
    assert "kept mri_course/exercises/lesson01.py" in capsys.readouterr().out
    assert stubs.read_text() == solved  # the learner's work is still there
    generate.main(["--force"])
    assert "return {}" not in stubs.read_text()


# --- not attempted -> announced, reference used; attempted -> used as written -----------


def test_an_untouched_stub_announces_itself_once_and_uses_the_reference(
    synthetic, capsys, lesson01
):
    from mri_course.data.index import count_images_per_class, index_dataset

    records = index_dataset(synthetic.root).records
    fresh = exercise("1.1")(lesson01.count_images_per_class.learner_function)
    assert fresh(records) == count_images_per_class(records)
    assert fresh(records) == count_images_per_class(records)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 1
    assert "mri_course/exercises/lesson01.py" in out


def test_an_attempted_exercise_runs_as_written_even_when_wrong():
    @exercise("1.1")
    def count_images_per_class(records):
        return {"glioma": 99}

    assert count_images_per_class.attempted
    assert count_images_per_class([]) == {"glioma": 99}


def test_a_body_of_pass_counts_as_attempted():
    @exercise("1.1")
    def count_images_per_class(records):
        """Docstring only, then pass."""
        pass

    assert count_images_per_class.attempted
    assert run_check(exercise_by_id("1.1"), count_images_per_class).state == FAILED


def test_the_decorator_refuses_the_wrong_function_name():
    with pytest.raises(ValueError, match="exercise 1.1 is count_images_per_class"):
        exercise("1.1")(lambda records: None)
    with pytest.raises(KeyError, match="no exercise '9.9'"):
        exercise("9.9")


# --- every check: passes on the reference, fails on the stub and on wrong answers ------


def _wrong_count_without_zeros(records):
    return dict(Counter(r.label for r in records))


def _wrong_count_sorted_by_size(records):
    counts = Counter({c: 0 for c in ("glioma", "meningioma", "notumor", "pituitary")})
    counts.update(r.label for r in records)
    return dict(counts.most_common())


def _wrong_channels_drop_alpha(image):
    array = np.asarray(image)
    if array.dtype == np.uint16:
        array = (array / 257).round().astype(np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] in (2, 4):
        array = array[..., :-1]
    return np.repeat(array, 3, axis=2) if array.shape[2] == 1 else array


def _wrong_channels_cast_16_bit(image):
    array = np.asarray(image).astype(np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] in (2, 4):
        array = np.round(array[..., :-1] * (array[..., -1:] / 255.0)).astype(np.uint8)
    return np.repeat(array, 3, axis=2) if array.shape[2] == 1 else array


def _wrong_hash_inverted(gray, hash_size=16):
    small = np.asarray(Image.fromarray(gray).resize((hash_size + 1, hash_size)), dtype=int)
    return (small[:, 1:] < small[:, :-1]).ravel()


def _wrong_hash_square(gray, hash_size=16):
    small = np.asarray(Image.fromarray(gray).resize((hash_size, hash_size)), dtype=int)
    return (small[:, 1:] > small[:, :-1]).ravel()


def _wrong_hash_default_filter(gray, hash_size=16):
    small = np.asarray(Image.fromarray(gray).resize((hash_size + 1, hash_size)), dtype=int)
    return (small[:, 1:] > small[:, :-1]).ravel()


def _wrong_split_ignores_groups(labels, groups, val_fraction, seed):
    indices = np.arange(len(labels))
    train, val = train_test_split(
        indices, test_size=val_fraction, stratify=labels, random_state=seed
    )
    return np.sort(train), np.sort(val)


def _wrong_split_not_stratified(labels, groups, val_fraction, seed):
    splitter = GroupShuffleSplit(n_splits=1, test_size=val_fraction, random_state=seed)
    train, val = next(splitter.split(np.zeros(len(labels)), labels, groups))
    return np.sort(train), np.sort(val)


def _wrong_split_ignores_seed(labels, groups, val_fraction, seed):
    from mri_course.data.splits import group_stratified_split

    return group_stratified_split(labels, groups, val_fraction, seed=0)


def _wrong_head_without_dropout(features):
    from keras import layers

    x = layers.Flatten(name="head_flatten")(features)
    x = layers.Dense(128, activation="relu", name="head_dense")(x)
    return layers.Dense(4, activation="softmax", name="probabilities")(x)


def _wrong_head_without_softmax(features):
    from keras import layers

    x = layers.Flatten(name="head_flatten")(features)
    x = layers.Dropout(0.3, name="head_dropout1")(x)
    x = layers.Dense(128, activation="relu", name="head_dense")(x)
    x = layers.Dropout(0.25, name="head_dropout2")(x)
    return layers.Dense(4, name="probabilities")(x)


def _wrong_head_rates_swapped(features):
    from keras import layers

    x = layers.Flatten(name="head_flatten")(features)
    x = layers.Dropout(0.25, name="head_dropout1")(x)
    x = layers.Dense(128, activation="relu", name="head_dense")(x)
    x = layers.Dropout(0.3, name="head_dropout2")(x)
    return layers.Dense(4, activation="softmax", name="probabilities")(x)


def _wrong_compile_adam(learning_rate=0.001):
    import keras

    settings = reference(exercise_by_id("2.2"))(learning_rate)
    return {**settings, "optimizer": keras.optimizers.Adam(learning_rate)}


def _wrong_compile_sparse(learning_rate=0.001):
    import keras

    settings = reference(exercise_by_id("2.2"))(learning_rate)
    return {**settings, "loss": keras.losses.SparseCategoricalCrossentropy()}


def _wrong_compile_plain_accuracy(learning_rate=0.001):
    import keras

    settings = reference(exercise_by_id("2.2"))(learning_rate)
    return {**settings, "metrics": [keras.metrics.Accuracy(), *settings["metrics"][1:]]}


def _wrong_compile_fixed_rate(learning_rate=0.001):
    return reference(exercise_by_id("2.2"))(0.001)


def _wrong_unfreeze_with_batch_norm(model, blocks):
    reference(exercise_by_id("2.3"))(model, blocks)
    from mri_course.models.transfer import xception_block_of

    top = {f"block{n}" for n in range(15 - blocks, 15)}
    for name, block in xception_block_of(model).items():
        if block in top:  # batch norms included: the mistake
            model.get_layer(name).trainable = True
    return model


def _wrong_unfreeze_forgets_head(model, blocks):
    reference(exercise_by_id("2.3"))(model, blocks)
    for name in ("head_dense", "probabilities"):
        model.get_layer(name).trainable = False
    return model


def _wrong_unfreeze_one_block_too_many(model, blocks):
    return reference(exercise_by_id("2.3"))(model, blocks + 1)


def _wrong_block_default_momentum(x, filters, name, convs=2):
    from keras import layers

    for k in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{k}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{k}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{k}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def _wrong_block_without_norm(x, filters, name, convs=2):
    from keras import layers

    for k in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{k}")(x)
        x = layers.ReLU(name=f"{name}_relu{k}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def _wrong_block_with_bias(x, filters, name, convs=2):
    from keras import layers

    for k in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv{k}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{k}")(x)
        x = layers.ReLU(name=f"{name}_relu{k}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def _wrong_block_valid_padding(x, filters, name, convs=2):
    from keras import layers

    for k in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, use_bias=False, name=f"{name}_conv{k}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{k}")(x)
        x = layers.ReLU(name=f"{name}_relu{k}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def _wrong_parameters_without_bias(kernel_size, in_channels, filters, use_bias=True):
    return filters * kernel_size * kernel_size * in_channels


def _wrong_parameters_without_channels(kernel_size, in_channels, filters, use_bias=True):
    return filters * (kernel_size * kernel_size + int(use_bias))


def _wrong_macs_without_kernel(kernel_size, in_channels, filters, out_height, out_width):
    return out_height * out_width * filters * in_channels


def _wrong_macs_square_map(kernel_size, in_channels, filters, out_height, out_width):
    return out_height * out_height * filters * kernel_size * kernel_size * in_channels


WRONG_ANSWERS = {
    "1.1": [(_wrong_count_without_zeros, "missing"), (_wrong_count_sorted_by_size, "order")],
    "1.2": [(_wrong_channels_drop_alpha, "transparent"), (_wrong_channels_cast_16_bit, "16-bit")],
    "1.3": [
        (_wrong_hash_inverted, "brighter to the right"),
        (_wrong_hash_square, "256 bits"),
        (_wrong_hash_default_filter, "test pattern"),
    ],
    "1.4": [
        (_wrong_split_ignores_groups, "leak"),
        (_wrong_split_not_stratified, "stratify"),
        (_wrong_split_ignores_seed, "seed"),
    ],
    "2.1": [
        (_wrong_head_without_dropout, "Flatten, Dropout, Dense"),
        (_wrong_head_without_softmax, "softmax"),
        (_wrong_head_rates_swapped, "0.3, then 0.25"),
    ],
    "2.2": [
        (_wrong_compile_adam, "Adamax"),
        (_wrong_compile_sparse, "CategoricalCrossentropy"),
        (_wrong_compile_fixed_rate, "learning_rate=0.01"),
        (_wrong_compile_plain_accuracy, "CategoricalAccuracy"),
    ],
    "2.3": [
        (_wrong_unfreeze_with_batch_norm, "batch normalisation"),
        (_wrong_unfreeze_forgets_head, "head always learns"),
        (_wrong_unfreeze_one_block_too_many, "is trainable"),
    ],
    "3.1": [
        (_wrong_block_without_norm, "layers are"),
        (_wrong_block_with_bias, "has a bias"),
        (_wrong_block_valid_padding, "padding"),
        (_wrong_block_default_momentum, "momentum 0.99"),
    ],
    "3.2": [
        (_wrong_parameters_without_bias, "Keras counts"),
        (_wrong_parameters_without_channels, "Keras counts"),
    ],
    "3.3": [
        (_wrong_macs_without_kernel, "693,633,024"),
        (_wrong_macs_square_map, "not square"),
    ],
}


def _wrong_answers_of_later_lessons() -> dict:
    """Lessons 04 on keep their wrong answers beside the tests, one module per lesson
    (``tests/wrong_answers_lessonNN.py``, each with a ``WRONG_ANSWERS`` dict)."""
    found = {}
    for path in sorted(Path(__file__).parent.glob("wrong_answers_lesson*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.update(module.WRONG_ANSWERS)
    return found


WRONG_ANSWERS.update(_wrong_answers_of_later_lessons())


def test_every_exercise_has_wrong_answers_to_fail():
    assert set(WRONG_ANSWERS) == {e.id for e in EXERCISES}


@pytest.mark.parametrize("entry", EXERCISES, ids=lambda e: e.id)
def test_check_passes_on_the_reference(entry):
    outcome = run_check(entry, reference(entry))
    assert outcome.state == PASSED, outcome.message


@pytest.mark.parametrize("entry", EXERCISES, ids=lambda e: e.id)
def test_check_fails_on_the_stub(entry, generated):
    stub = _stub(generated, entry)
    assert run_check(entry, stub).state == NOT_ATTEMPTED
    assert run_check(entry, stub.learner_function).state == ERROR  # NotImplementedError


@pytest.mark.parametrize(
    ("entry", "wrong", "says"),
    [(exercise_by_id(i), w, s) for i, answers in WRONG_ANSWERS.items() for w, s in answers],
    ids=lambda value: getattr(value, "__name__", None) if callable(value) else None,
)
def test_check_fails_on_a_plausible_wrong_answer(entry, wrong, says):
    outcome = run_check(entry, wrong)
    assert outcome.state == FAILED, f"{wrong.__name__} passed the check of {entry.id}"
    assert says in outcome.message


def test_check_prints_not_attempted_pass_and_raises_on_a_wrong_answer(capsys, lesson01):
    check(lesson01.count_images_per_class)
    assert "not attempted yet" in capsys.readouterr().out

    @exercise("1.1")
    def count_images_per_class(records):
        counts = dict.fromkeys(("glioma", "meningioma", "notumor", "pituitary"), 0)
        for record in records:
            counts[record.label] += 1
        return counts

    check(count_images_per_class)
    assert "passed" in capsys.readouterr().out

    @exercise("1.1")
    def count_images_per_class(records):  # noqa: F811 - the learner's second try
        return dict(Counter(r.label for r in records))

    with pytest.raises(
        AssertionError, match=r"Exercise 1.1 `count_images_per_class`: failed: class"
    ):
        check(count_images_per_class)
    with pytest.raises(TypeError, match="takes an exercise function"):
        check(len)


# --- progress -------------------------------------------------------------------------


def _install(monkeypatch, generated):
    for number, module in generated.items():
        monkeypatch.setitem(sys.modules, f"mri_course.exercises.lesson{number}", module)


def test_progress_on_a_fresh_clone_lists_every_exercise_as_not_attempted(generated, monkeypatch):
    _install(monkeypatch, generated)
    outcomes = progress()
    assert [o.exercise.id for o in outcomes] == [e.id for e in EXERCISES]
    assert {o.state for o in outcomes} == {NOT_ATTEMPTED}
    assert f"0 of {len(EXERCISES)} exercises pass." in format_progress(outcomes)


def test_progress_shows_passed_failed_and_broken_files(monkeypatch, generated, lesson01):
    _install(monkeypatch, generated)
    learner = types.ModuleType("mri_course.exercises.lesson01")
    learner.count_images_per_class = exercise("1.1")(_reference_copy_of_count())
    learner.to_three_channels = exercise("1.2")(_wrong_channels_drop_alpha_named())
    learner.difference_hash = lesson01.difference_hash
    learner.group_stratified_split = lesson01.group_stratified_split
    monkeypatch.setitem(sys.modules, "mri_course.exercises.lesson01", learner)
    states = [o.state for o in progress()]
    assert states[:4] == [PASSED, FAILED, NOT_ATTEMPTED, NOT_ATTEMPTED]
    assert set(states[4:]) == {NOT_ATTEMPTED}

    real_import = importlib.import_module

    def import_module(name):
        if name == "mri_course.exercises.lesson01":
            raise SyntaxError("invalid syntax (lesson01.py, line 3)")
        return real_import(name)

    monkeypatch.setattr(importlib, "import_module", import_module)
    broken = [o for o in progress() if o.exercise.lesson == "01"]
    assert {o.state for o in broken} == {ERROR}
    assert "SyntaxError" in broken[0].message


def _reference_copy_of_count():
    def count_images_per_class(records):
        counts = dict.fromkeys(("glioma", "meningioma", "notumor", "pituitary"), 0)
        for record in records:
            counts[record.label] += 1
        return counts

    return count_images_per_class


def _wrong_channels_drop_alpha_named():
    def to_three_channels(image):
        return _wrong_channels_drop_alpha(image)

    return to_three_channels
