"""What happens when a lesson calls one of your exercise functions.

A stub you have not touched yet still holds only ``raise NotImplementedError(...)``. Such a
function is *not attempted*: calling it says so once and runs the reference instead, so
the lesson goes on. As soon as you write a body, your code is what runs, as written, and
the check in the lesson tells you whether it is right.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from mri_course.exercises.catalog import Exercise, exercise_by_id


def is_stub_node(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True when a parsed function's body (after its docstring) only raises NotImplementedError."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return False
    raised = body[0].exc
    if isinstance(raised, ast.Call):
        raised = raised.func
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def is_stub(function: Callable[..., Any]) -> bool:
    """True when the function body is still the generated ``raise NotImplementedError``.

    Read from the source, not by calling the function: ``mri-course progress`` must know
    the state of every exercise without inputs to call it with.
    """
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return False  # defined where no source is kept (e.g. typed in a console)
    node = ast.parse(source).body[0]
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_stub_node(node)


def reference(entry: Exercise) -> Callable[..., Any]:
    """The package's reference implementation of an exercise."""
    return getattr(importlib.import_module(entry.reference_module), entry.name)


def reference_source(function: Callable[..., Any]) -> str:
    """The source code of the reference behind an exercise function, to compare with."""
    return inspect.getsource(reference(function.exercise))


def _announce(entry: Exercise) -> None:
    print(
        f"{entry.title} is not attempted yet: the lesson uses the reference solution for now. "
        f"Write it in {entry.student_module.replace('.', '/')}.py when you are ready.",
        file=sys.stdout,
    )


def exercise(exercise_id: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a learner's function as exercise ``exercise_id`` (see the module docstring)."""
    entry = exercise_by_id(exercise_id)

    def mark(function: Callable[..., Any]) -> Callable[..., Any]:
        if function.__name__ != entry.name:
            raise ValueError(f"exercise {exercise_id} is {entry.name}, not {function.__name__}")
        attempted = not is_stub(function)
        announced = False

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            nonlocal announced
            if attempted:
                return function(*args, **kwargs)
            if not announced:
                _announce(entry)
                announced = True
            return reference(entry)(*args, **kwargs)

        run.exercise = entry  # type: ignore[attr-defined]
        run.attempted = attempted  # type: ignore[attr-defined]
        run.learner_function = function  # type: ignore[attr-defined]
        return run

    return mark
