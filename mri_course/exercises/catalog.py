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


LESSONS: tuple[Lesson, ...] = (
    Lesson("01", "The data", "01_data.ipynb"),
    Lesson("02", "Transfer learning with Xception", "02_transfer_learning.ipynb"),
    Lesson("03", "A CNN of your own", "03_cnn.ipynb"),
)

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
    Exercise(
        id="2.1",
        lesson="02",
        name="classification_head",
        reference_module="mri_course.models.transfer",
        check="mri_course.checks.lesson02:check_classification_head",
        hints=(
            "Each layer is called on the previous output: `x = layers.Flatten(name=...)(x)`.",
            'Dropout takes the share to drop: `layers.Dropout(0.3, name="head_dropout1")`.',
            'The last layer needs `activation="softmax"` and `len(CLASS_NAMES)` units.',
        ),
    ),
    Exercise(
        id="2.2",
        lesson="02",
        name="compile_settings",
        reference_module="mri_course.models.compile",
        check="mri_course.checks.lesson02:check_compile_settings",
        hints=(
            "`keras.optimizers.Adamax(learning_rate=learning_rate)`.",
            "The labels are one-hot vectors: `keras.losses.CategoricalCrossentropy()`.",
            'Give each metric its name: `keras.metrics.Precision(name="precision")`.',
        ),
    ),
    Exercise(
        id="2.3",
        lesson="02",
        name="unfreeze_top_blocks",
        reference_module="mri_course.models.transfer",
        check="mri_course.checks.lesson02:check_unfreeze_top_blocks",
        hints=(
            "`xception_block_of(model)` maps each base layer's name to its block.",
            "The top blocks are the last `blocks` of the sorted block names "
            "(sort by number: block9 comes before block10).",
            "Every layer gets `layer.trainable = ...`: base layers by their block (never a "
            "BatchNormalization), head layers True, the rest False.",
        ),
    ),
    Exercise(
        id="3.1",
        lesson="03",
        name="conv_block",
        reference_module="mri_course.models.cnn",
        check="mri_course.checks.lesson03:check_conv_block",
        hints=(
            "Loop `for k in range(1, convs + 1):` and call three layers on `x` each time.",
            '`layers.Conv2D(filters, 3, padding="same", use_bias=False, name=...)`.',
            'End with `layers.MaxPooling2D(2, name=f"{name}_pool")(x)`.',
        ),
    ),
    Exercise(
        id="3.2",
        lesson="03",
        name="conv2d_parameters",
        reference_module="mri_course.models.costs",
        check="mri_course.checks.lesson03:check_conv2d_parameters",
        hints=(
            "One filter has `kernel_size * kernel_size * in_channels` weights.",
            "Add one bias per filter when `use_bias` is True.",
        ),
    ),
    Exercise(
        id="3.3",
        lesson="03",
        name="conv2d_macs",
        reference_module="mri_course.models.costs",
        check="mri_course.checks.lesson03:check_conv2d_macs",
        hints=(
            "How many output values are there? `out_height * out_width * filters`.",
            "Each output value takes one multiply-accumulate per weight of its filter.",
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
