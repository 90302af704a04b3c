"""Each lesson opens with the run times measured by benchmarks/lesson_times.py (issue 14).

The figures live in ``benchmarks/results/lesson_times.json``; the lessons' first cells, the
README's table and ``lesson_times.md`` are written from it by the same functions the tests
use here, so a remeasurement that is not copied into the lessons (``lesson_times.py
--sync``, then the generator) fails, and so does a figure edited by hand.
"""

import json
from pathlib import Path

import pytest
from benchmark_scripts import load_benchmark

ROOT = Path(__file__).resolve().parents[1]

lesson_times = load_benchmark("lesson_times")
RESULTS = json.loads((ROOT / "benchmarks" / "results" / "lesson_times.json").read_text())


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (12, "under 1 min"),
        (59.9, "under 1 min"),
        (60, "about 1 min"),
        (150, "about 3 min"),
        (149, "about 2 min"),
        (12.5 * 60, "about 15 min"),
        (9 * 60 + 29, "about 9 min"),
        (9 * 60 + 31, "about 10 min"),
        (17.1 * 60, "about 15 min"),
        (18 * 60, "about 20 min"),
        (62 * 60, "about 1 h"),
        (83 * 60, "about 1 h 25 min"),
    ],
)
def test_a_time_is_rounded_to_what_a_rerun_can_keep(seconds, words):
    assert lesson_times.about(seconds) == words


def test_every_lesson_was_measured_in_both_profiles_to_the_end():
    for profile in lesson_times.PROFILES:
        runs = RESULTS["runs"][profile]
        assert sorted(runs) == list(lesson_times.LESSONS), profile
        for lesson, run in runs.items():
            assert run["ran_to_end"], f"{profile} {lesson}: {run['error']}"
            assert run["seconds"] > 0 and run["machine"]["cores"] >= 1


def test_a_stand_in_for_the_imagenet_weights_is_said_in_the_report():
    report = (ROOT / "benchmarks" / "results" / "lesson_times.md").read_text()
    lesson02 = RESULTS["runs"]["cpu"]["02"]
    if "STAND-IN" in lesson02["xception_weights"]:
        assert lesson02["xception_weights"] in report


def _first_cell(path: Path) -> str:
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["cell_type"] == "markdown", path
    return "".join(cell["source"])


@pytest.mark.parametrize("folder", ["solutions", "lessons"])
@pytest.mark.parametrize("lesson", lesson_times.LESSONS)
def test_each_lesson_opens_with_its_measured_run_times(folder, lesson):
    (path,) = (ROOT / folder).glob(f"{lesson}_*.ipynb")
    lines = [
        line
        for line in _first_cell(path).splitlines()
        if line.startswith(lesson_times.RUN_TIME_PREFIX)
    ]
    expected = lesson_times.run_time_line(RESULTS, lesson)
    assert lines == [expected], (
        f"{folder}/{path.name} must state {expected!r}: run `python benchmarks/lesson_times.py "
        "--sync`, then `python -m mri_course.exercises.generate`"
    )


def test_the_run_time_line_replaces_an_old_one_and_keeps_the_rest():
    old = "# Lesson\n\nText.\n\n*Run time: about 3 min in the `fast` profile.*\n"
    new = lesson_times.with_run_time_line(old, "*Run time: new.*")
    assert new == "# Lesson\n\nText.\n\n*Run time: new.*"
    assert lesson_times.with_run_time_line(new, "*Run time: new.*") == new


def test_the_readme_table_is_the_one_written_from_the_results():
    readme = (ROOT / "README.md").read_text()
    assert lesson_times.readme_table(RESULTS) in readme, (
        "README.md's lesson-time table differs from benchmarks/results/lesson_times.json: "
        "run `python benchmarks/lesson_times.py --sync`"
    )


def test_the_markdown_report_is_the_one_written_from_the_results():
    report = (ROOT / "benchmarks" / "results" / "lesson_times.md").read_text()
    assert report == lesson_times.markdown_report(RESULTS)
