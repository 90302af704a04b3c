"""The package's layout: each lesson's code has one home, and no module imports upward.

The subpackages stand in the order the course teaches them; a module may import from its
own level or below, never from a later lesson. A lower module that needed a higher one
would hide a cycle, and a learner reading lesson 03 would meet lesson 07's code.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mri_course"

LEVELS = {
    "__init__": 0,
    "config": 0,
    "io": 0,
    "data": 1,  # lesson 01
    "models": 2,  # lessons 02 and 03
    "training": 3,
    "intuition": 4,  # lesson 04
    "widgets": 4,
    "evaluation": 4,  # lesson 05
    "saliency": 4,  # lesson 07
    "audit": 5,  # lesson 06: beyond the test set
    "explain": 5,  # lesson 08
    "app": 6,  # lesson 09
    "testing": 7,  # stand-ins for the tests and lesson 08
    "exercises": 8,  # the learner's files, the catalog, the generator
    "checks": 8,
    "cli": 9,
}


def _part(module: str) -> str:
    """``mri_course.saliency.maps`` -> ``saliency``."""
    return module.split(".")[1] if module.count(".") else "__init__"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            found |= {n for n in [node.module, *names] if n.startswith("mri_course.")}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mri_course.")}
    return found


def _module_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_part_of_the_package_has_a_level():
    parts = {path.relative_to(PACKAGE).parts[0].removesuffix(".py") for path in _module_files()}
    assert parts <= set(LEVELS), f"give {sorted(parts - set(LEVELS))} a level in LEVELS"


@pytest.mark.parametrize("path", _module_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_later_lesson(path):
    own = LEVELS[path.relative_to(PACKAGE).parts[0].removesuffix(".py")]
    upward = sorted(m for m in _imports(path) if LEVELS.get(_part(m), 0) > own)
    assert not upward, f"{path.relative_to(PACKAGE)} (level {own}) imports upward: {upward}"


@pytest.mark.parametrize(
    "module",
    ["mri_course.explain", "mri_course.saliency.overlay", "mri_course.saliency.summary"],
)
def test_the_words_and_the_drawing_import_without_tensorflow(module):
    code = f"import sys, {module}; assert 'tensorflow' not in sys.modules, 'tensorflow loaded'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
