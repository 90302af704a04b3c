"""Check your exercises: in a lesson with ``check(fn)``, in a terminal with ``mri-course progress``.

A check has three answers: *not attempted yet* (the stub is untouched), *passed*, or an
``AssertionError`` that says what is wrong.
"""

from __future__ import annotations

import importlib
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mri_course.exercises.catalog import EXERCISES, Exercise

NOT_ATTEMPTED = "not attempted"
PASSED = "passed"
FAILED = "failed"
ERROR = "error"


@dataclass(frozen=True)
class CheckOutcome:
    exercise: Exercise
    state: str  # NOT_ATTEMPTED, PASSED, FAILED or ERROR
    message: str

    def to_text(self) -> str:
        return f"{self.exercise.title}: {self.state}" + (
            f": {self.message}" if self.message else ""
        )


def _check_function(entry: Exercise) -> Callable[[Callable[..., Any]], str]:
    module, name = entry.check.split(":")
    return getattr(importlib.import_module(module), name)


def run_check(entry: Exercise, function: Callable[..., Any]) -> CheckOutcome:
    """Check ``function`` (a learner's exercise) without raising; for progress reports."""
    if not getattr(function, "attempted", True):
        return CheckOutcome(entry, NOT_ATTEMPTED, "")
    candidate = getattr(function, "learner_function", function)
    try:
        return CheckOutcome(entry, PASSED, _check_function(entry)(candidate))
    except AssertionError as failure:
        return CheckOutcome(entry, FAILED, str(failure))
    except Exception as error:  # the learner's code crashed: say how, keep going
        return CheckOutcome(entry, ERROR, f"{type(error).__name__}: {error}")


def _student_file(entry: Exercise) -> str:
    """Where the learner writes the exercise, as a full path (a lesson runs in lessons/)."""
    module = importlib.import_module(entry.student_module)
    return str(inspect.getfile(module))


def check(function: Callable[..., Any]) -> None:
    """Check one of your exercise functions and print the verdict.

    Raises ``AssertionError`` with what is wrong when the function is attempted but not
    right yet, so a lesson stops at the first exercise that needs work; an error inside
    your code is reported the same way, with its type and message.
    """
    entry = getattr(function, "exercise", None)
    if entry is None:
        raise TypeError(
            "check() takes an exercise function, e.g. check(lesson01.count_images_per_class)"
        )
    outcome = run_check(entry, function)
    if outcome.state == NOT_ATTEMPTED:
        print(
            f"{entry.title}: not attempted yet. Write it in {_student_file(entry)}, save, "
            "then run this cell again (the lesson reloads your file)."
        )
    elif outcome.state == PASSED:
        print(f"{entry.title}: passed. {outcome.message}.")
    else:
        raise AssertionError(outcome.to_text())


def progress() -> list[CheckOutcome]:
    """The state of every exercise of the course, checked where attempted."""
    outcomes = []
    for entry in EXERCISES:
        try:
            function = getattr(importlib.import_module(entry.student_module), entry.name)
        except Exception as error:  # a syntax error in the learner's file, for instance
            outcomes.append(
                CheckOutcome(
                    entry,
                    ERROR,
                    f"cannot import {entry.student_module}: {type(error).__name__}: {error}",
                )
            )
            continue
        outcomes.append(run_check(entry, function))
    return outcomes


def format_progress(outcomes: list[CheckOutcome]) -> str:
    width = max(len(o.exercise.name) for o in outcomes)
    lines = [f"{'id':<5}{'exercise':<{width + 2}}state"]
    for o in outcomes:
        first_line = o.message.splitlines()[0] if o.message else ""
        short = textwrap.shorten(first_line, width=90, placeholder=" ...")
        detail = f"  ({short})" if o.state in (FAILED, ERROR) else ""
        lines.append(f"{o.exercise.id:<5}{o.exercise.name:<{width + 2}}{o.state}{detail}")
    done = sum(o.state == PASSED for o in outcomes)
    lines.append(f"{done} of {len(outcomes)} exercises pass.")
    return "\n".join(lines)
