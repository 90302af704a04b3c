"""The project's own rules: set-up files in step, notebooks clean, style, CI = README."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _requirement_names(requirements: list[str]) -> dict[str, str]:
    return {
        re.split(r"[<>=!~ \[]", r, maxsplit=1)[0].lower(): r.replace(" ", "") for r in requirements
    }


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    text = (ROOT / "environment.yml").read_text()
    pip_lines = re.findall(r"^\s+- (?!pip$)(\S.*)$", text.split("- pip:")[1], re.MULTILINE)
    listed = [line for line in pip_lines if line != "-e ."]
    assert _requirement_names(listed) == _requirement_names(wanted)
    assert "-e ." in pip_lines, "environment.yml must install the course package itself"
    python = re.search(r"- python=(\d+\.\d+)", text)
    assert python, "environment.yml must pin a python version"
    minimum = project["requires-python"].removeprefix(">=")
    assert tuple(map(int, python.group(1).split("."))) >= tuple(map(int, minimum.split(".")))


def test_runtime_dependencies_named_by_the_course_are_declared():
    names = _requirement_names(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    for needed in (
        "tensorflow",
        "keras",
        "numpy",
        "matplotlib",
        "ipywidgets",
        "jupyterlab",
        "kagglehub",
        "scikit-learn",
        "streamlit",
        "google-genai",
        "pillow",
    ):
        assert needed in names
    assert "google-generativeai" not in names  # end of life; conflicts with TensorFlow
    assert names["streamlit"] == "streamlit>=1.56"


@pytest.mark.parametrize("folder", ["lessons", "solutions"])
def test_notebooks_are_committed_without_outputs(folder):
    notebooks = sorted((ROOT / folder).glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert not cell["outputs"] and cell["execution_count"] is None, path.name


def test_lessons_read_the_profile_at_the_top():
    for path in sorted((ROOT / "lessons").glob("*.ipynb")):
        first_code = next(
            "".join(c["source"])
            for c in json.loads(path.read_text())["cells"]
            if c["cell_type"] == "code"
        )
        assert "load_settings()" in first_code and "describe()" in first_code, path.name


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", readme, re.DOTALL)
    assert first_block, "the README needs a code block with the set-up commands"
    lines = (line.split("#")[0].strip() for line in first_block.group(1).splitlines())
    commands = [line for line in lines if line]
    assert commands[:2] == ["make lessons", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec make test$", ci, re.MULTILINE)
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run must be executable"


def test_makefile_targets_create_the_environment_first():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lessons: \$\(STAMP\)$", makefile, re.MULTILINE)
    assert re.search(r"^test: \$\(STAMP\)$", makefile, re.MULTILINE)
    assert 'pip install -e ".[dev]"' in makefile


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lessons_starts_jupyter_also_as_root():
    """Jupyter refuses to run as root without a flag; containers often run as root."""
    recipe = subprocess.run(
        ["make", "-n", "lessons", "STAMP="], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "jupyter lab lessons/" in recipe
    assert ("--allow-root" in recipe) == (os.geteuid() == 0)


def test_no_dataset_image_is_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    leaked = [
        p
        for p in tracked.stdout.splitlines()
        if re.search(r"(^|/)(Tr|Te)-[a-z]{2}(Tr)?_\d{4}\.(jpg|png)$", p)
    ]
    assert not leaked


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff is not installed (pip install -e '.[dev]')",
)
def test_code_is_formatted_and_lint_free():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    lint = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    style = subprocess.run(
        [ruff, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert style.returncode == 0, style.stdout
