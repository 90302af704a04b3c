"""Every exercise of the course: where its reference lives, its hints and its check.

The reference implementation of an exercise is the package's own code (the package runs
it), so it is written once. ``python -m mri_course.exercises.generate`` derives from it the
learner's stub in ``mri_course/exercises/lessonNN.py`` and the copy in
``solutions/exercises/lessonNN.py``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    number: str  # "01"
    title: str
    notebook: str  # file name in lessons/ and solutions/


@dataclass(frozen=True)
class Exercise:
    id: str  # "1.2": lesson 1, exercise 2
    lesson: str  # "01"
    name: str  # the function to write
    reference_module: str  # where the package keeps the reference implementation
    check: str  # "module:function" of the check
    hints: tuple[str, ...]

    @property
    def student_module(self) -> str:
        return f"mri_course.exercises.lesson{self.lesson}"

    @property
    def title(self) -> str:
        return f"Exercise {self.id} `{self.name}`"


LESSONS: tuple[Lesson, ...] = (Lesson("01", "The data", "01_data.ipynb"),)

EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        id="1.1",
        lesson="01",
        name="count_images_per_class",
        reference_module="mri_course.data.index",
        check="mri_course.checks.lesson01:check_count_images_per_class",
        hints=(
            "Start from a dict with every class at 0: `dict.fromkeys(CLASS_NAMES, 0)`.",
            "Each record has a `.label`; add one to that class.",
        ),
    ),
    Exercise(
        id="1.2",
        lesson="01",
        name="to_three_channels",
        reference_module="mri_course.data.decode",
        check="mri_course.checks.lesson01:check_to_three_channels",
        hints=(
            "Handle the dtype first: `uint16` -> divide by 257 and round; `bool` -> 0 or 255.",
            "Give a 2-D image a channel axis: `array[:, :, np.newaxis]`.",
            "With 2 or 4 channels the last one is alpha: multiply the others by alpha / 255.",
            "Repeat a single channel three times: `np.repeat(array, 3, axis=2)`.",
        ),
    ),
    Exercise(
        id="1.3",
        lesson="01",
        name="difference_hash",
        reference_module="mri_course.data.hashing",
        check="mri_course.checks.lesson01:check_difference_hash",
        hints=(
            "Shrink with Pillow: `Image.fromarray(gray).resize((hash_size + 1, hash_size), "
            "Image.Resampling.BOX)`; note that Pillow's size is (width, height).",
            "Compare each column with its left neighbour: `small[:, 1:] > small[:, :-1]`.",
            "Cast to a signed or float type before comparing if you subtract; `ravel()` the "
            "result into one row of bits.",
        ),
    ),
    Exercise(
        id="1.4",
        lesson="01",
        name="group_stratified_split",
        reference_module="mri_course.data.splits",
        check="mri_course.checks.lesson01:check_group_stratified_split",
        hints=(
            "Collect the indices of each group first: a `defaultdict(list)` keyed by group id.",
            "The validation target of a class is `round(val_fraction * class_size)`.",
            "Visit the groups in the order of `np.random.default_rng(seed).permutation(...)`; "
            "put a group in validation only if no class would pass its target.",
            "Return `np.flatnonzero(~in_val), np.flatnonzero(in_val)`.",
        ),
    ),
)


def exercise_by_id(exercise_id: str) -> Exercise:
    for entry in EXERCISES:
        if entry.id == exercise_id:
            return entry
    raise KeyError(f"no exercise {exercise_id!r}; known: {', '.join(e.id for e in EXERCISES)}")


def lesson_by_number(number: str) -> Lesson:
    for lesson in LESSONS:
        if lesson.number == number:
            return lesson
    raise KeyError(f"no lesson {number!r}")
