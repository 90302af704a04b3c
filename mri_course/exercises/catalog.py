"""Every exercise of the course: its id, its function and where its reference lives.

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
    """Only what cannot be derived; everything else about an exercise follows from these.

    * the lesson: from the id (``"7.2"`` -> ``"07"``);
    * the learner's module: ``mri_course.exercises.lessonNN``;
    * the check: ``check_<name>`` in ``mri_course.checks.lessonNN``;
    * the stub's docstring and hints: the reference function's docstring, whose last
      section is ``Hints:``;
    * the wrong answers the check must fail on: ``tests/wrong_answers_lessonNN.py``.
    """

    id: str  # "1.2": lesson 1, exercise 2
    name: str  # the function to write
    reference_module: str  # where the package keeps the reference implementation

    @property
    def lesson(self) -> str:
        """The lesson number as in file names: ``"07"`` for exercise ``"7.2"``."""
        return f"{int(self.id.split('.')[0]):02d}"

    @property
    def student_module(self) -> str:
        return f"mri_course.exercises.lesson{self.lesson}"

    @property
    def check(self) -> str:
        """``"module:function"`` of the check."""
        return f"mri_course.checks.lesson{self.lesson}:check_{self.name}"

    @property
    def title(self) -> str:
        return f"Exercise {self.id} `{self.name}`"


LESSONS: tuple[Lesson, ...] = (
    Lesson("01", "The data", "01_data.ipynb"),
    Lesson("02", "Transfer learning with Xception", "02_transfer_learning.ipynb"),
    Lesson("03", "A CNN of your own", "03_cnn.ipynb"),
    Lesson("04", "Loss and learning rate", "04_loss_and_learning_rate.ipynb"),
    Lesson("05", "Honest evaluation", "05_evaluation.ipynb"),
    Lesson("06", "Beyond the test set", "06_beyond_the_test_set.ipynb"),
    Lesson("07", "Saliency maps you can trust", "07_saliency.ipynb"),
    Lesson("08", "Explanations with Gemini", "08_gemini.ipynb"),
    Lesson("09", "The Streamlit app", "09_app.ipynb"),
)

EXERCISES: tuple[Exercise, ...] = (
    # --- lesson 01: the data (mri_course.data) ---
    Exercise("1.1", "count_images_per_class", "mri_course.data.index"),
    Exercise("1.2", "to_three_channels", "mri_course.data.decode"),
    Exercise("1.3", "difference_hash", "mri_course.data.hashing"),
    Exercise("1.4", "group_stratified_split", "mri_course.data.splits"),
    Exercise("1.5", "leaked_share", "mri_course.data.leakage"),
    # --- lesson 02: transfer learning (mri_course.models) ---
    Exercise("2.1", "classification_head", "mri_course.models.transfer"),
    Exercise("2.2", "compile_settings", "mri_course.models.compile"),
    Exercise("2.3", "unfreeze_top_blocks", "mri_course.models.transfer"),
    # --- lesson 03: a CNN of your own (mri_course.models) ---
    Exercise("3.1", "conv_block", "mri_course.models.cnn"),
    Exercise("3.2", "conv2d_parameters", "mri_course.models.costs"),
    Exercise("3.3", "conv2d_macs", "mri_course.models.costs"),
    # --- lesson 04: loss and learning rate (mri_course.intuition) ---
    Exercise("4.1", "softmax", "mri_course.intuition.loss"),
    Exercise("4.2", "cross_entropy_from_logits", "mri_course.intuition.loss"),
    Exercise("4.3", "gradient_descent_step", "mri_course.intuition.descent"),
    Exercise("4.4", "adamax_step", "mri_course.intuition.descent"),
    Exercise("4.5", "minibatch_gradient", "mri_course.intuition.stochastic"),
    # --- lesson 05: evaluation (mri_course.evaluation) ---
    Exercise("5.1", "confusion_matrix", "mri_course.evaluation.metrics"),
    Exercise("5.2", "per_class_recall", "mri_course.evaluation.metrics"),
    Exercise("5.3", "expected_calibration_error", "mri_course.evaluation.calibration"),
    Exercise("5.4", "conformal_quantile", "mri_course.evaluation.conformal"),
    Exercise("5.5", "coverage_by_class", "mri_course.evaluation.conformal"),
    # --- lesson 06: beyond the test set (mri_course.audit) ---
    Exercise("6.1", "accuracy_by_group", "mri_course.audit.groups"),
    Exercise("6.2", "confident_wrong_share", "mri_course.audit.mni152"),
    Exercise("6.3", "border_crop", "mri_course.audit.stress"),
    # --- lesson 07: saliency (mri_course.saliency) ---
    Exercise("7.1", "vanilla_gradient_map", "mri_course.saliency.maps"),
    Exercise("7.2", "gradcam_channel_weights", "mri_course.saliency.maps"),
    Exercise("7.3", "brain_mask", "mri_course.saliency.mask"),
    # --- lesson 08: Gemini explanations (mri_course.explain) ---
    Exercise("8.1", "build_prompt", "mri_course.explain.prompt"),
    Exercise("8.2", "parse_answer", "mri_course.explain.parse"),
    # --- lesson 09: the app (mri_course.app) ---
    Exercise("9.1", "image_warnings", "mri_course.app.ood"),
    Exercise("9.2", "scan_key", "mri_course.app.analysis"),
    Exercise("9.3", "check_dimensions", "mri_course.app.scan_input"),
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
