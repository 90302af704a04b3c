"""The exercise mechanism: generated stubs, fallback to the reference, checks, progress."""

import ast
import dataclasses
import importlib
import importlib.util
import inspect
import json
import subprocess
import sys
import textwrap
import types
from collections import Counter
from pathlib import Path

import pytest

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
from mri_course.exercises.catalog import EXERCISES, LESSONS, Exercise, exercise_by_id
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


def test_each_lesson_has_two_to_five_exercises():
    # Lesson 05 has five: evaluation, then calibrated uncertainty (issue 12 asked for both).
    for lesson in LESSONS:
        count = sum(e.lesson == lesson.number for e in EXERCISES)
        assert 2 <= count <= 5, f"lesson {lesson.number} has {count} exercises"


def test_stubs_keep_signature_and_copy_the_docstring_with_its_hints(generated):
    for entry in EXERCISES:
        stub = _stub(generated, entry)
        ref = reference(entry)
        assert (
            stub.learner_function.__code__.co_varnames[: ref.__code__.co_argcount]
            == (ref.__code__.co_varnames[: ref.__code__.co_argcount])
        )
        assert stub.__doc__ == ref.__doc__, entry.name  # hints included, written once
        assert "\n    Hints:\n" in stub.__doc__, entry.name
        assert is_stub(stub.learner_function)


def test_the_generator_refuses_a_reference_without_hints(tmp_path, monkeypatch):
    module = tmp_path / "hintless_reference.py"
    module.write_text('def count_images_per_class(records):\n    """Count."""\n    return {}\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = Exercise("1.1", "count_images_per_class", "hintless_reference")
    monkeypatch.setattr(generate, "EXERCISES", (entry,))
    with pytest.raises(LookupError, match="hintless_reference.count_images_per_class has no"):
        generate.student_module_source(LESSONS[0])


def test_a_catalog_entry_holds_only_what_cannot_be_derived():
    fields = [f.name for f in dataclasses.fields(Exercise)]
    assert fields == ["id", "name", "reference_module"]
    assert exercise_by_id("7.2").lesson == "07"
    assert exercise_by_id("1.4").check == (
        "mri_course.checks.lesson01:check_group_stratified_split"
    )
    for lesson in LESSONS:
        ids = [e.id for e in EXERCISES if e.lesson == lesson.number]
        assert ids == [f"{int(lesson.number)}.{k}" for k in range(1, len(ids) + 1)]
        checks = importlib.import_module(f"mri_course.checks.lesson{lesson.number}")
        defined = {
            name
            for name, value in vars(checks).items()
            if name.startswith("check_")
            and inspect.isfunction(value)
            and value.__module__ == checks.__name__
        }
        expected = {f"check_{e.name}" for e in EXERCISES if e.lesson == lesson.number}
        assert defined == expected, f"mri_course/checks/lesson{lesson.number}.py"


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


def _notebook(*cells: dict) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(source: str, tags: tuple[str, ...] = (), **extra) -> dict:
    metadata = {"tags": list(tags)} if tags else {}
    return {
        "cell_type": "code",
        "metadata": metadata,
        "outputs": [],
        "execution_count": None,
        "source": source,
        **extra,
    }


def test_the_learners_notebook_drops_the_cells_tagged_solution():
    solution = _notebook(
        _code("a = 1\nprint(a)", outputs=[{"x": 1}], execution_count=3),
        _code("print(reference_source(lesson01.count_images_per_class))", ("solution",)),
        _code("answer = 42", ("solution",)),
        {"cell_type": "markdown", "metadata": {}, "source": "Text"},
    )
    student = generate.student_notebook(solution)
    assert [c["cell_type"] for c in student["cells"]] == ["code", "markdown"]
    code = student["cells"][0]
    assert code["source"] == "a = 1\nprint(a)"
    assert code["outputs"] == [] and code["execution_count"] is None
    assert solution["cells"][0]["outputs"] == [{"x": 1}]  # the solution is not modified


@pytest.mark.parametrize(
    "reveal",
    [
        "print(reference_source(lesson04.softmax))",
        "from mri_course.exercises import runtime\n\nprint(runtime.reference_source(f))",
        "%autoreload 2\nprint(reference_source(lesson04.softmax))",  # not plain Python
    ],
)
def test_the_generator_refuses_an_untagged_cell_that_shows_an_answer(
    reveal, tmp_path, monkeypatch, capsys
):
    solution = _notebook(
        _code("check(lesson04.softmax)"),
        {"cell_type": "markdown", "metadata": {}, "source": "reference_source(f) in text"},
        _code(reveal, id="c0ffee42"),
    )
    with pytest.raises(generate.UntaggedSolutionError) as refused:
        generate.student_notebook(solution, "solutions/04_loss_and_learning_rate.ipynb")
    message = str(refused.value)
    assert "solutions/04_loss_and_learning_rate.ipynb, cell 3 (id c0ffee42)" in message
    assert "not tagged 'solution'" in message and reveal in message
    # importing the function, or naming it in text, shows nothing: not refused
    generate.student_notebook(
        _notebook(_code("from mri_course.exercises.runtime import reference_source"))
    )

    # the command line says so, writes nothing, and --check fails too
    fake_root = tmp_path / "checkout"
    (fake_root / "solutions").mkdir(parents=True)
    (fake_root / "solutions" / LESSONS[3].notebook).write_text(generate.notebook_text(solution))
    monkeypatch.setattr(generate, "project_root", lambda: fake_root)
    for argv in ([], ["--check"]):
        assert generate.main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: solutions/04_loss_and_learning_rate.ipynb, cell 3")
    assert not (fake_root / "lessons").exists()


def _body_source(entry) -> str:
    """The code of a reference function after its signature and docstring."""
    source = textwrap.dedent(inspect.getsource(reference(entry)))
    function = ast.parse(source).body[0]
    first = function.body[1] if ast.get_docstring(function) is not None else function.body[0]
    lines = source.splitlines()[first.lineno - 1 : function.body[-1].end_lineno]
    return "\n".join(line.strip() for line in lines if line.strip())


def _shows_reference_code(cell_source: str) -> list[str]:
    """The exercises whose reference code ``cell_source`` shows, or ``reference_source``."""
    shown = ["a call of reference_source"] if generate.reveals_an_answer(cell_source) else []
    text = "\n".join(line.strip() for line in cell_source.splitlines() if line.strip())
    shown += [entry.id for entry in EXERCISES if _body_source(entry) in text]
    return shown


def test_every_reference_body_is_long_enough_to_recognise():
    for entry in EXERCISES:
        assert len(_body_source(entry)) > 40, entry.id


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.number)
def test_no_lesson_shows_reference_code_before_the_learner_tries(lesson):
    """The learner's notebook (lessons/) never prints nor holds an exercise's answer: those
    cells belong to the solution notebook, tagged ``solution``."""
    path = ROOT / "lessons" / lesson.notebook
    notebook = json.loads(path.read_text(encoding="utf-8"))
    found = [
        f"cell {number}: {', '.join(shown)}"
        for number, cell in enumerate(notebook["cells"], start=1)
        if (shown := _shows_reference_code(generate._source(cell)))
    ]
    assert not found, f"lessons/{lesson.notebook} shows answers: {'; '.join(found)}"


def test_the_reveal_detector_finds_a_reference_body_and_a_call():
    entry = exercise_by_id("5.1")
    pasted = textwrap.dedent(inspect.getsource(reference(entry)))
    assert _shows_reference_code(pasted) == ["5.1"]
    assert _shows_reference_code(f"```python\n{pasted}```") == ["5.1"]  # in markdown too
    assert _shows_reference_code("print(reference_source(lesson05.confusion_matrix))") == [
        "a call of reference_source"
    ]
    assert _shows_reference_code("check(lesson05.confusion_matrix)") == []


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


def _wrong_answer_modules() -> dict[str, types.ModuleType]:
    """``tests/wrong_answers_lessonNN.py`` by lesson number: each holds the plausible wrong
    answers to its lesson's exercises in a ``WRONG_ANSWERS`` dict, exercise id -> list of
    (function, what the check's message must say)."""
    modules = {}
    for lesson in LESSONS:
        path = Path(__file__).parent / f"wrong_answers_lesson{lesson.number}.py"
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules[lesson.number] = module
    return modules


WRONG_ANSWER_MODULES = _wrong_answer_modules()
WRONG_ANSWERS = {
    exercise_id: answers
    for module in WRONG_ANSWER_MODULES.values()
    for exercise_id, answers in module.WRONG_ANSWERS.items()
}


def test_every_exercise_has_wrong_answers_to_fail_in_its_lessons_file():
    assert set(WRONG_ANSWERS) == {e.id for e in EXERCISES}
    for number, module in WRONG_ANSWER_MODULES.items():
        misplaced = [i for i in module.WRONG_ANSWERS if exercise_by_id(i).lesson != number]
        assert not misplaced, f"wrong_answers_lesson{number}.py holds {misplaced}"
        assert all(module.WRONG_ANSWERS.values()), f"lesson {number}: an empty list"


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
    learner.leaked_share = lesson01.leaked_share
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
        return WRONG_ANSWER_MODULES["01"]._wrong_channels_drop_alpha(image)

    return to_three_channels
