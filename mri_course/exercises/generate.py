"""Derive every learner-facing file from the one source of truth.

From the package's reference implementations (listed in :mod:`.catalog`) and the solution
notebooks in ``solutions/``, this writes:

* ``mri_course/exercises/lessonNN.py``: stubs with the reference's signature and its
  docstring as written (its last section, ``Hints:``, included), and
  ``raise NotImplementedError``;
* ``solutions/exercises/lessonNN.py``: the reference code itself, to compare with;
* ``lessons/NN_*.ipynb``: the solution notebooks without outputs and without the cells
  tagged ``solution``. That tag is the only way to keep something out of a lesson: a cell
  that shows an answer (a call of ``reference_source``, say) must carry it, and the
  generator refuses an untagged one, as nbgrader refuses a malformed solution marker.

Run ``python -m mri_course.exercises.generate`` after changing a reference or a solution
notebook; ``--check`` only reports stale files (the test suite runs it).
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import inspect
import json
import sys
from pathlib import Path

from mri_course.config import project_root
from mri_course.exercises.catalog import EXERCISES, LESSONS, Exercise, Lesson
from mri_course.exercises.runtime import is_stub_node

SOLUTION_TAG = "solution"
LINE_LENGTH = 100  # ruff's, in pyproject.toml
GENERATE_COMMAND = "python -m mri_course.exercises.generate"


# --- reading the references -------------------------------------------------------------


def _module_tree(module_name: str) -> tuple[str, ast.Module]:
    source = inspect.getsource(importlib.import_module(module_name))
    return source, ast.parse(source)


def _function(tree: ast.Module, name: str) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise LookupError(f"no top-level function {name!r}")


def _bindings(tree: ast.Module, module_name: str) -> dict[str, tuple[str, str | None]]:
    """Top-level names of a module -> ``(module, imported name)`` to import them from.

    ``("numpy", None)`` stands for ``import numpy as <name>``.
    """
    found: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.split(".")[0]] = (alias.name, None)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            for alias in node.names:
                found[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            found[node.name] = (module_name, node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = (module_name, target.id)
    return found


def _names_used(function: ast.FunctionDef) -> set[str]:
    return {n.id for n in ast.walk(function) if isinstance(n, ast.Name)} - {function.name}


def _member_order(member: str) -> tuple[int, str]:
    """isort's order-by-type, as ruff applies it: CONSTANTS, then Classes, then functions."""
    name = member.split(" as ")[0]
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _import_lines(needed: dict[str, tuple[str, str | None]]) -> str:
    """Import statements for ``needed``, grouped and sorted the way ruff's isort does."""
    plain: dict[str, set[str]] = {}
    members: dict[str, set[str]] = {}
    for local, (module, name) in needed.items():
        if name is None:
            plain.setdefault(module, set()).add(local)
        else:
            members.setdefault(module, set()).add(name if name == local else f"{name} as {local}")

    def section(module: str) -> int:
        top = module.split(".")[0]
        return 0 if top in sys.stdlib_module_names else 2 if top == "mri_course" else 1

    blocks = []
    for wanted in (0, 1, 2):
        lines = []
        for module in sorted(m for m in plain if section(m) == wanted):
            for local in sorted(plain[module]):
                top = module.split(".")[0]
                lines.append(f"import {module}" if local == top else f"import {module} as {local}")
        for module in sorted(m for m in members if section(m) == wanted):
            names = sorted(members[module], key=_member_order)
            line = f"from {module} import {', '.join(names)}"
            if len(line) > LINE_LENGTH:  # one name a line, as ruff format writes it
                line = f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
            lines.append(line)
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _signature(source: str, function: ast.FunctionDef) -> str:
    lines = source.splitlines()
    first_body = function.body[0].lineno
    return "\n".join(lines[function.lineno - 1 : first_body - 1])


def _docstring(source: str, function: ast.FunctionDef, entry: Exercise) -> str:
    """The reference's docstring, character for character, as the stub's docstring.

    Its hints are in it: an exercise's reference ends its docstring with a ``Hints:``
    section, and the generator refuses one without.
    """
    doc = function.body[0]
    if ast.get_docstring(function) is None or not isinstance(doc, ast.Expr):
        raise LookupError(f"{entry.reference_module}.{entry.name} has no docstring")
    lines = source.splitlines()[doc.lineno - 1 : doc.end_lineno]
    if not any(line.strip() == "Hints:" for line in lines):
        raise LookupError(
            f"the docstring of {entry.reference_module}.{entry.name} has no `Hints:` section: "
            "end it with one, a `- ` line per hint (the learner's stub shows it)"
        )
    return "\n".join(lines)


# --- producing the files ----------------------------------------------------------------


def _exercises_of(lesson: Lesson) -> list[Exercise]:
    return [e for e in EXERCISES if e.lesson == lesson.number]


def _needed_imports(entries: list[Exercise]) -> dict[str, tuple[str, str | None]]:
    needed: dict[str, tuple[str, str | None]] = {}
    for entry in entries:
        _, tree = _module_tree(entry.reference_module)
        bindings = _bindings(tree, entry.reference_module)
        for name in sorted(_names_used(_function(tree, entry.name))):
            if name in bindings:
                needed[name] = bindings[name]
    return needed


def student_module_source(lesson: Lesson) -> str:
    """The stub module a learner fills in for ``lesson``."""
    entries = _exercises_of(lesson)
    needed = _needed_imports(entries)
    needed["exercise"] = ("mri_course.exercises.runtime", "exercise")
    parts = [
        f'"""Lesson {lesson.number} exercises: {lesson.title.lower()}.\n\n'
        "Replace each `raise NotImplementedError(...)` with your code, then run the exercise's\n"
        f"check in lessons/{lesson.notebook} (or `mri-course progress`). Until you do, the\n"
        "lesson runs the reference solution, so it never stops half-way. When you are done,\n"
        f"compare with solutions/exercises/lesson{lesson.number}.py.\n\n"
        f"Generated from the package's reference code by `{GENERATE_COMMAND}`.\n"
        '"""\n',
        "# ruff: noqa: F401  (the imports are tools you may want; not every one is needed)\n",
        "from __future__ import annotations\n",
        _import_lines(needed) + "\n",
    ]
    for entry in entries:
        source, tree = _module_tree(entry.reference_module)
        function = _function(tree, entry.name)
        parts.append(
            f'\n@exercise("{entry.id}")\n{_signature(source, function)}\n'
            f"{_docstring(source, function, entry)}\n"
            f'    raise NotImplementedError("Exercise {entry.id}: write {entry.name} here")\n'
        )
    return "\n".join(parts)


def solution_module_source(lesson: Lesson) -> str:
    """The reference code of ``lesson``'s exercises, copied from the package."""
    entries = _exercises_of(lesson)
    parts = [
        f'"""Reference solutions of lesson {lesson.number} ({lesson.title.lower()}).\n\n'
        "Each function is the package's own code, copied from the module named above it: the\n"
        "course runs exactly this. Edit the package, then run\n"
        f"`{GENERATE_COMMAND}` to refresh this file.\n"
        '"""\n',
        "from __future__ import annotations\n",
        _import_lines(_needed_imports(entries)) + "\n",
    ]
    for entry in entries:
        source, tree = _module_tree(entry.reference_module)
        function = _function(tree, entry.name)
        code = ast.get_source_segment(source, function)
        where = entry.reference_module.replace(".", "/") + ".py"
        parts.append(f"\n# Exercise {entry.id}, from {where}\n{code}\n")
    return "\n".join(parts)


def clean_notebook(notebook: dict) -> dict:
    """A copy without outputs, execution counts or run metadata (what is committed)."""
    clean = copy.deepcopy(notebook)
    for cell in clean["cells"]:
        cell.get("metadata", {}).pop("execution", None)
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return clean


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def reveals_an_answer(source: str) -> bool:
    """True when code calls ``reference_source``: it prints an exercise's answer."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics, say: fall back to reading the text
        return "reference_source(" in source
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "reference_source")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "reference_source")
        )
        for node in ast.walk(tree)
    )


class UntaggedSolutionError(ValueError):
    """A solution-notebook cell shows an answer but would stay in the learner's lesson."""


def student_notebook(solution: dict, name: str = "a solution notebook") -> dict:
    """The learner's version of a solution notebook: without the cells tagged ``solution``.

    Raises :class:`UntaggedSolutionError`, naming ``name`` and the cell, when an untagged
    code cell calls ``reference_source``: the lesson would show the answer before the
    learner tries.
    """
    notebook = clean_notebook(solution)
    cells = []
    for number, cell in enumerate(notebook["cells"], start=1):
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell["cell_type"] == "code" and reveals_an_answer(_source(cell)):
            where = f"cell {number}" + (f" (id {cell['id']})" if cell.get("id") else "")
            raise UntaggedSolutionError(
                f"{name}, {where}, calls reference_source but is not tagged {SOLUTION_TAG!r}: "
                "the lesson would show the answer before the learner tries. Add the tag "
                f"{SOLUTION_TAG!r} to that cell (JupyterLab: property inspector, Cell Tags) "
                f"or move the call into a tagged cell. The cell:\n{_source(cell)}"
            )
        if cell["cell_type"] == "code":
            cell["source"] = _source(cell)  # one string, as the lessons have always kept it
        cells.append(cell)
    notebook["cells"] = cells
    return notebook


def notebook_text(notebook: dict) -> str:
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def expected_files(root: Path) -> dict[Path, str]:
    """Every generated file under ``root`` with the text it should have."""
    files: dict[Path, str] = {}
    for lesson in LESSONS:
        if _exercises_of(lesson):
            files[root / "mri_course" / "exercises" / f"lesson{lesson.number}.py"] = (
                student_module_source(lesson)
            )
            files[root / "solutions" / "exercises" / f"lesson{lesson.number}.py"] = (
                solution_module_source(lesson)
            )
        solution_path = root / "solutions" / lesson.notebook
        if solution_path.exists():
            solution = json.loads(solution_path.read_text(encoding="utf-8"))
            files[solution_path] = notebook_text(clean_notebook(solution))
            files[root / "lessons" / lesson.notebook] = notebook_text(
                student_notebook(solution, f"solutions/{lesson.notebook}")
            )
    return files


def attempted_exercises(path: Path) -> list[str]:
    """Exercise functions of a learner's module whose body is no longer the stub."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("exercise" in ast.unparse(d) for d in node.decorator_list)
        and not is_stub_node(node)
    ]


def stale_files(root: Path, expected: dict[Path, str] | None = None) -> list[Path]:
    """Generated files that are missing or differ from what this script would write."""
    expected = expected_files(root) if expected is None else expected
    return [
        path
        for path, text in expected.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only list stale files")
    parser.add_argument(
        "--force", action="store_true", help="also overwrite exercise files that hold your work"
    )
    args = parser.parse_args(argv)
    root = project_root()
    if root is None:
        parser.error("run this from a checkout of the course (no pyproject.toml found)")
    try:
        expected = expected_files(root)
    except UntaggedSolutionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_files(root, expected)
        for path in stale:
            print(f"stale: {path.relative_to(root)}")
        return 1 if stale else 0
    for path, text in expected.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            is_learner_file = path.parent == root / "mri_course" / "exercises"
            attempted = attempted_exercises(path) if is_learner_file and path.exists() else []
            if attempted and not args.force:
                print(
                    f"kept {path.relative_to(root)}: it holds your work on "
                    f"{', '.join(attempted)} (--force overwrites it)"
                )
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
