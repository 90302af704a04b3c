"""How long each lesson takes to run, end to end, per profile: the figure each lesson opens with.

    python benchmarks/lesson_times.py --profile fast|cpu [--lessons 01 02 ...] [--fresh]
        [--xception-weights FILE | --stand-in-weights] [--workdir /tmp/lesson_times]
        [--cell-timeout SECONDS]
    python benchmarks/lesson_times.py --sync

Runs each solutions notebook from its first cell to its last in a fresh Jupyter kernel
(nbclient, the way `Run All` does), one lesson after the other, as a learner who starts the
profile from nothing would: ``MRI_COURSE_PROFILE`` set, the profile's own models and cache
folders under ``--workdir`` (never the checkout's ``models/``), no Gemini key (lesson 08
explains offline). ``--fresh`` empties those folders before the first lesson, so lesson 01
builds the caches and lessons 02 and 03 train the models that lessons 05 to 09 then load;
without it, a lesson measured on its own finds what earlier runs left there, and the
results say what it found (models present, cache warm or cold).

The ``cpu`` profile needs the real dataset (``MRI_COURSE_DATA``) and Xception's ImageNet
weights for lesson 02. Offline, ``--stand-in-weights`` writes a file of the same format
and shape (``keras.applications.Xception(weights=None, include_top=False)``, seeded random
weights, saved as Keras' legacy HDF5 ``..._notop.h5``): the time is that of real weights,
the accuracy is not, and the results say the weights were a stand-in.

Each run MERGES its lessons into ``benchmarks/results/lesson_times.json`` (so profiles and
single lessons can be measured separately) and rewrites ``lesson_times.md``, the README's
table between its markers, and the run-time line in the first cell of every solutions
notebook. ``--sync`` does only that rewriting, from the JSON. Then run
``python -m mri_course.exercises.generate`` to carry the lines into ``lessons/``;
``tests/test_lesson_times.py`` fails while a lesson or the README disagrees with the JSON.

The machine's other work slows a run: each lesson records the load average before and
after. Times are wall-clock seconds, kernel start included.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
RESULTS = ROOT / "benchmarks" / "results" / "lesson_times"
README = ROOT / "README.md"
PROFILES = ("fast", "cpu")
LESSONS = tuple(f"{n:02d}" for n in range(1, 10))
RUN_TIME_PREFIX = "*Run time:"
README_START = "<!-- lesson-times:start (benchmarks/lesson_times.py --sync writes this) -->"
README_END = "<!-- lesson-times:end -->"
WEIGHTS_FILE = "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"  # as transfer.py


# --- the one place that turns seconds into words ------------------------------------------


def about(seconds: float) -> str:
    """A measured time as a lesson states it: "under 1 min", "about 4 min", "about 25 min".

    Whole minutes below 10 minutes, multiples of 5 above: the machine's other work moves a
    run by more than that, so finer figures would promise what a rerun cannot keep.
    """
    minutes = seconds / 60
    if minutes < 1:
        return "under 1 min"
    if minutes < 9.5:
        return f"about {math.floor(minutes + 0.5)} min"  # halves up: 2.5 min is "about 3"
    rounded = 5 * math.floor(minutes / 5 + 0.5)
    if rounded < 60:
        return f"about {rounded} min"
    hours, rest = divmod(rounded, 60)
    return f"about {hours} h" + (f" {rest} min" if rest else "")


def lesson_figure(results: dict, profile: str, lesson: str) -> str:
    """The lesson's time in ``profile`` in words, or why there is none."""
    run = results.get("runs", {}).get(profile, {}).get(lesson)
    if run is None:
        return "not measured yet"
    if not run["ran_to_end"]:
        return "not measured (the run stopped with an error)"
    return about(run["seconds"])


def _cores(results: dict, profile: str) -> int | None:
    runs = results.get("runs", {}).get(profile, {})
    cores = {run["machine"]["cores"] for run in runs.values()}
    return cores.pop() if len(cores) == 1 else None


def run_time_line(results: dict, lesson: str) -> str:
    """The line a lesson's first cell ends with, built from ``lesson_times.json``."""
    fast = lesson_figure(results, "fast", lesson)
    cpu = lesson_figure(results, "cpu", lesson)
    cores = _cores(results, "cpu")
    machine = f"on a {cores}-core CPU" if cores else "on a laptop CPU"
    return (
        f"{RUN_TIME_PREFIX} {fast} in the `fast` profile, {cpu} in the `cpu` profile "
        f"{machine} (measured: `benchmarks/results/lesson_times.md`).*"
    )


# --- files written from the results --------------------------------------------------------


def lesson_titles() -> dict[str, tuple[str, str]]:
    """Lesson number -> (notebook file name, title from its first heading)."""
    titles = {}
    for path in sorted(SOLUTIONS.glob("0*.ipynb")):
        first = json.loads(path.read_text())["cells"][0]
        heading = "".join(first["source"]).splitlines()[0]
        titles[path.name[:2]] = (path.name, heading.split("·", 1)[-1].strip())
    return titles


def readme_table(results: dict) -> str:
    """The README's table, between its markers."""
    lines = [
        README_START,
        "| | lesson | `fast` | `cpu` |",
        "|---|---|---|---|",
    ]
    for lesson, (name, title) in lesson_titles().items():
        fast = lesson_figure(results, "fast", lesson)
        cpu = lesson_figure(results, "cpu", lesson)
        lines.append(f"| {lesson} | [{title}](lessons/{name}) | {fast} | {cpu} |")
    lines.append(README_END)
    return "\n".join(lines)


def _minutes(run: dict | None) -> str:
    if run is None:
        return "not measured"
    text = f"{run['seconds'] / 60:.1f} min ({about(run['seconds'])})"
    return text if run["ran_to_end"] else f"stopped at cell {run['error']['cell']}: {text}"


def markdown_report(results: dict) -> str:
    """``lesson_times.md``: the table, then how each profile was measured."""
    runs = results.get("runs", {})
    lines = [
        "# Lesson run times",
        "",
        "Each solutions notebook run from its first cell to its last in a fresh kernel, "
        "as `Run All` does, by `python benchmarks/lesson_times.py --profile PROFILE --fresh` "
        "(lessons one after another, as a learner starting the profile from nothing: lesson "
        "01 builds the caches, lessons 02 and 03 train the models the later lessons load). "
        "Wall-clock minutes, kernel start included. The first cell of every lesson and the "
        "README quote the rounded figure.",
        "",
        "| lesson | `fast` | `cpu` |",
        "|---|---|---|",
    ]
    for lesson, (_, title) in lesson_titles().items():
        cells = [_minutes(runs.get(p, {}).get(lesson)) for p in PROFILES]
        lines.append(f"| {lesson} {title} | {cells[0]} | {cells[1]} |")
    totals = []
    for profile in PROFILES:
        done = [r["seconds"] for r in runs.get(profile, {}).values() if r["ran_to_end"]]
        if done:
            totals.append(f"`{profile}` {sum(done) / 60:.0f} min over {len(done)} lessons")
    if totals:
        lines += ["", "All lessons together: " + "; ".join(totals) + "."]
    for profile in PROFILES:
        profile_runs = runs.get(profile, {})
        if not profile_runs:
            continue
        lines += ["", f"## How the `{profile}` profile was measured", ""]
        for lesson, run in sorted(profile_runs.items()):
            machine = run["machine"]
            load, load_after = (
                "/".join(f"{x:.1f}" for x in run[key]) if run.get(key) else "not recorded"
                for key in ("load_before", "load_after")
            )
            slow = "; ".join(
                f"cell {c['cell']} `{c['first_line']}` {c['seconds']:.0f} s"
                for c in run["slowest_cells"]
            )
            held = ", ".join(run["models_before"]) or "nothing"
            lines.append(
                f"* {lesson}: started {run['date']}, {machine['cores']} cores ({machine['cpu']}), "
                f"load average {load} before, {load_after} after; cache "
                f"{run['cache']}; models folder held {held}; "
                f"{run['xception_weights']}. Slowest cells: {slow}."
                + (
                    f" The kernel used {run['kernel_cpu_seconds'] / 60:.1f} CPU-minutes."
                    if "kernel_cpu_seconds" in run
                    else ""
                )
            )
            if not run["ran_to_end"]:
                lines.append(f"  Stopped: {run['error']['message']}")
            if run.get("note"):
                lines.append(f"  {run['note']}")
    lines += [
        "",
        "The machine ran other jobs during the runs (see the load averages), which makes "
        "these figures, if anything, slower than on an idle machine of the same kind.",
    ]
    return "\n".join(lines) + "\n"


def _notebook_text(notebook: dict) -> str:
    from mri_course.exercises.generate import notebook_text

    return notebook_text(notebook)


def with_run_time_line(source: str, line: str) -> str:
    """The first cell's source with its run-time line replaced, or appended as a paragraph."""
    kept = [x for x in source.rstrip("\n").split("\n") if not x.startswith(RUN_TIME_PREFIX)]
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept) + "\n\n" + line


def sync(results: dict) -> None:
    """Rewrite the report, the README's table and each lesson's run-time line."""
    from mri_course.io import atomic_write_text

    atomic_write_text(RESULTS.with_suffix(".md"), markdown_report(results))
    readme = README.read_text()
    start, end = readme.index(README_START), readme.index(README_END) + len(README_END)
    atomic_write_text(README, readme[:start] + readme_table(results) + readme[end:])
    for path in sorted(SOLUTIONS.glob("0*.ipynb")):
        notebook = json.loads(path.read_text())
        first = notebook["cells"][0]
        text = with_run_time_line("".join(first["source"]), run_time_line(results, path.name[:2]))
        first["source"] = text.splitlines(keepends=True)
        atomic_write_text(path, _notebook_text(notebook))


def load_results() -> dict:
    path = RESULTS.with_suffix(".json")
    return json.loads(path.read_text()) if path.is_file() else {"runs": {}}


# --- measuring -----------------------------------------------------------------------------


def stand_in_weights(folder: Path) -> Path:
    """A file in the format of Keras' Xception ImageNet file, holding seeded random weights."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    path = folder / WEIGHTS_FILE
    if not path.is_file():
        keras.utils.set_random_seed(0)
        model = keras.applications.Xception(weights=None, include_top=False)
        folder.mkdir(parents=True, exist_ok=True)
        with h5py.File(path, "w") as file:
            legacy_h5_format.save_weights_to_hdf5_group(file, model)
    return path


def _slowest_cells(notebook: dict, count: int = 3) -> list[dict]:
    """The ``count`` cells that took longest, from nbclient's timing metadata."""
    timed = []
    for index, cell in enumerate(notebook["cells"]):
        stamps = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
            start = dt.datetime.fromisoformat(stamps["iopub.execute_input"].replace("Z", "+00:00"))
            end = dt.datetime.fromisoformat(stamps["shell.execute_reply"].replace("Z", "+00:00"))
            first = next((x for x in "".join(cell["source"]).splitlines() if x.strip()), "")
            timed.append(
                {"cell": index, "first_line": first[:60], "seconds": (end - start).total_seconds()}
            )
    return sorted(timed, key=lambda c: -c["seconds"])[:count]


def run_lesson(path: Path, env: dict[str, str], executed: Path, cell_timeout: int = 3600) -> dict:
    """Run one notebook in a fresh kernel with ``env``; its wall time and what happened."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,  # per cell: a hung cell fails the lesson, not the whole run
        kernel_name="python3",
        resources={"metadata": {"path": str(SOLUTIONS)}},
        record_timing=True,
    )
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits this process's environment
    error = None
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as failure:
        failed = next(
            (
                i
                for i, c in enumerate(notebook.cells)
                if c.get("outputs") and any(o.get("output_type") == "error" for o in c["outputs"])
            ),
            None,
        )
        error = {"cell": failed, "message": str(failure).strip().splitlines()[-1][:300]}
    finally:
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the kernel, once reaped
        cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        os.environ.clear()
        os.environ.update(saved)
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, executed)
    return {
        "seconds": round(seconds, 1),
        "kernel_cpu_seconds": round(cpu, 1),
        "ran_to_end": error is None,
        "error": error,
        "cells": len(notebook.cells),
        "slowest_cells": _slowest_cells(notebook),
        "executed_copy": str(executed),
    }


def _folder_state(models: Path, cache: Path) -> tuple[list[str], str]:
    names = sorted(p.name for p in models.glob("*.keras")) if models.is_dir() else []
    warm = cache.is_dir() and any(cache.iterdir())
    return names, "warm (left by earlier lessons)" if warm else "cold (empty)"


def measure(args: argparse.Namespace) -> dict:
    work = Path(args.workdir) / args.profile
    models, cache = work / "models", work / "cache"
    if args.fresh:
        for folder in (models, cache):
            shutil.rmtree(folder, ignore_errors=True)
    models.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MRI_COURSE_", "GEMINI_"))}
    env.pop("GOOGLE_API_KEY", None)
    env.update(
        MRI_COURSE_PROFILE=args.profile, MRI_COURSE_MODELS=str(models), MRI_COURSE_CACHE=str(cache)
    )
    weights_note = "Xception weights: not needed (fast profile: random weights)"
    if args.profile != "fast":
        data = args.data or os.environ.get("MRI_COURSE_DATA")
        if not data:
            sys.exit("the cpu profile needs the real dataset: set MRI_COURSE_DATA or --data")
        env["MRI_COURSE_DATA"] = data
        if args.stand_in_weights:
            weights = stand_in_weights(Path(args.workdir))
            weights_note = (
                "Xception weights: a STAND-IN file (random weights in the format of Keras' "
                "ImageNet file, `--stand-in-weights`: same time, meaningless accuracy)"
            )
        elif args.xception_weights or os.environ.get("MRI_COURSE_XCEPTION_WEIGHTS"):
            weights = Path(args.xception_weights or os.environ["MRI_COURSE_XCEPTION_WEIGHTS"])
            weights_note = f"Xception weights: the ImageNet file {weights.name}"
        else:
            weights = None
            weights_note = "Xception weights: downloaded by Keras (ImageNet)"
        if weights is not None:
            env["MRI_COURSE_XCEPTION_WEIGHTS"] = str(weights)

    results = load_results()
    results.setdefault("runs", {}).setdefault(args.profile, {})
    for lesson in args.lessons:
        path = next(SOLUTIONS.glob(f"{lesson}_*.ipynb"))
        models_before, cache_state = _folder_state(models, cache)
        load_before = os.getloadavg()
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        print(f"{args.profile} {path.name} ...", flush=True)
        run = run_lesson(path, env, work / "executed" / path.name, args.cell_timeout)
        from mri_course.training.card import cpu_model  # the line model cards record

        run.update(
            date=started,
            machine={"cores": os.cpu_count(), "cpu": cpu_model(), "system": platform.platform()},
            load_before=[round(x, 2) for x in load_before],
            load_after=[round(x, 2) for x in os.getloadavg()],
            models_before=models_before,
            cache=cache_state,
            xception_weights=weights_note,
        )
        results["runs"][args.profile][lesson] = run  # _saved rebuilds results["runs"]
        print(f"  {run['seconds'] / 60:.1f} min, ran to the end: {run['ran_to_end']}", flush=True)
        results = _saved(results)  # after each lesson, so a long run keeps what it measured
    return results


def _saved(results: dict) -> dict:
    from mri_course.io import atomic_write_text

    results["about"] = (
        "Wall-clock seconds per lesson and profile, from benchmarks/lesson_times.py; "
        "lesson_times.md explains the runs."
    )
    results["runs"] = {p: dict(sorted(results["runs"][p].items())) for p in sorted(results["runs"])}
    text = json.dumps(results, indent=1, ensure_ascii=False) + "\n"
    atomic_write_text(RESULTS.with_suffix(".json"), text)
    sync(results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=PROFILES)
    parser.add_argument("--lessons", nargs="+", default=list(LESSONS), choices=LESSONS)
    parser.add_argument("--workdir", default="/tmp/lesson_times")
    parser.add_argument(
        "--cell-timeout", type=int, default=3600, help="seconds a cell may run (default 3600)"
    )
    parser.add_argument("--fresh", action="store_true", help="empty models and cache first")
    parser.add_argument("--data", help="the real dataset (default: MRI_COURSE_DATA)")
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument("--xception-weights", help=f"a local copy of {WEIGHTS_FILE}")
    weights.add_argument("--stand-in-weights", action="store_true")
    parser.add_argument("--sync", action="store_true", help="only rewrite the files from JSON")
    args = parser.parse_args(argv)
    if args.sync:
        _saved(load_results())
        return 0
    if args.profile is None:
        parser.error("--profile is needed (or --sync)")
    measure(args)
    print(RESULTS.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
