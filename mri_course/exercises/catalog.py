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
    Lesson("04", "Loss and learning rate", "04_loss_and_learning_rate.ipynb"),
    Lesson("05", "Honest evaluation", "05_evaluation.ipynb"),
    Lesson("06", "Saliency maps you can trust", "06_saliency.ipynb"),
    Lesson("07", "Explanations with Gemini", "07_gemini.ipynb"),
    Lesson("08", "The Streamlit app", "08_app.ipynb"),
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
    # --- lesson 04: loss and learning rate (mri_course.intuition) ---
    Exercise(
        id="4.1",
        lesson="04",
        name="softmax",
        reference_module="mri_course.intuition.loss",
        check="mri_course.checks.lesson04:check_softmax",
        hints=(
            "Subtract the largest score of each row: `logits.max(axis=-1, keepdims=True)`.",
            "Exponentiate, then divide by the sum over the last axis (again `keepdims=True`).",
        ),
    ),
    Exercise(
        id="4.2",
        lesson="04",
        name="cross_entropy_from_logits",
        reference_module="mri_course.intuition.loss",
        check="mri_course.checks.lesson04:check_cross_entropy_from_logits",
        hints=(
            "-log(softmax(z)[k]) = log(sum(exp(z))) - z[k]: no probability needs storing.",
            "log(sum(exp(z))) = top + log(sum(exp(z - top))) with `top = z.max()`.",
            "Return a Python float: `float(...)`.",
        ),
    ),
    Exercise(
        id="4.3",
        lesson="04",
        name="gradient_descent_step",
        reference_module="mri_course.intuition.descent",
        check="mri_course.checks.lesson04:check_gradient_descent_step",
        hints=(
            "The gradient points uphill: step the other way, `weights - learning_rate * ...`.",
            "Build a new array; `weights -= ...` would change the caller's array too.",
        ),
    ),
    Exercise(
        id="4.4",
        lesson="04",
        name="adamax_step",
        reference_module="mri_course.intuition.descent",
        check="mri_course.checks.lesson04:check_adamax_step",
        hints=(
            "Follow the three formulas of the docstring in order: m, then u, then w.",
            "`np.maximum(a, b)` takes the larger value element by element.",
            "The bias correction divides by `1 - beta_1**step` (step counts from 1).",
        ),
    ),
    # --- lesson 05: evaluation (mri_course.evaluation) ---
    Exercise(
        id="5.1",
        lesson="05",
        name="confusion_matrix",
        reference_module="mri_course.evaluation.metrics",
        check="mri_course.checks.lesson05:check_confusion_matrix",
        hints=(
            "Start from `np.zeros((classes, classes), dtype=np.int64)`.",
            "For each pair, add one to `matrix[true, predicted]` (a loop, or `np.add.at`).",
        ),
    ),
    Exercise(
        id="5.2",
        lesson="05",
        name="per_class_recall",
        reference_module="mri_course.evaluation.metrics",
        check="mri_course.checks.lesson05:check_per_class_recall",
        hints=(
            "The diagonal: `np.diag(confusion)`; the row totals: `confusion.sum(axis=1)`.",
            "`np.where(totals > 0, found / totals, np.nan)`, inside "
            '`np.errstate(invalid="ignore", divide="ignore")`.',
        ),
    ),
    Exercise(
        id="5.3",
        lesson="05",
        name="expected_calibration_error",
        reference_module="mri_course.evaluation.calibration",
        check="mri_course.checks.lesson05:check_expected_calibration_error",
        hints=(
            "Confidence: `probabilities.max(axis=1)`; right: `probabilities.argmax(axis=1) == "
            "labels`.",
            "Bin edges: `np.linspace(0, 1, bins + 1)`; a bin holds `low < confidence <= high`.",
            "Add `share of predictions in the bin * |accuracy - mean confidence|` over the "
            "non-empty bins.",
        ),
    ),
    # --- lesson 06: saliency (mri_course.saliency) ---
    Exercise(
        id="6.1",
        lesson="06",
        name="vanilla_gradient_map",
        reference_module="mri_course.saliency.gradients",
        check="mri_course.checks.lesson06:check_vanilla_gradient_map",
        hints=(
            "Make the images a tensor the tape can watch: `images = tf.convert_to_tensor("
            "images, dtype=tf.float32)`, then `tape.watch(images)` inside "
            "`with tf.GradientTape() as tape:`.",
            "Pick each image's class score: `tf.reduce_sum(scores * tf.one_hot(class_indices, "
            "depth=scores.shape[-1]))`; the gradient of that sum gives each image its own "
            "gradient.",
            "`tape.gradient(total, images)`, then `tf.abs` and `tf.reduce_max(..., axis=-1)`; "
            "return `.numpy()`.",
        ),
    ),
    Exercise(
        id="6.2",
        lesson="06",
        name="gradcam_channel_weights",
        reference_module="mri_course.saliency.gradcam",
        check="mri_course.checks.lesson06:check_gradcam_channel_weights",
        hints=(
            "`logit_model(model, feature_layer=layer_name)` is a model whose outputs are "
            "`[feature_maps, logits]`: the logits, not the softmax.",
            "Call it inside `with tf.GradientTape() as tape:`; the feature maps are computed "
            "there, so the tape can differentiate with respect to them without `watch`.",
            "Select each image's class logit with `tf.one_hot`, then `tape.gradient(total, "
            "feature_maps)` and `tf.reduce_mean(..., axis=(1, 2))`.",
        ),
    ),
    Exercise(
        id="6.3",
        lesson="06",
        name="brain_mask",
        reference_module="mri_course.saliency.mask",
        check="mri_course.checks.lesson06:check_brain_mask",
        hints=(
            "Grey levels: `image.mean(axis=-1)` for a 3-D image; head: `gray > HEAD_THRESHOLD * "
            "np.percentile(gray, 99)`.",
            "`labels, count = ndimage.label(head)`; `np.bincount(labels.ravel())[1:]` counts the "
            "pixels of labels 1, 2, ...: keep the label with the most.",
            "`ndimage.binary_fill_holes(...)`, then `depth = ndimage.distance_transform_edt(head)` "
            "and keep `depth > skull_fraction * depth.max()`.",
        ),
    ),
    # --- lesson 07: Gemini explanations (mri_course.explain) ---
    Exercise(
        id="7.1",
        lesson="07",
        name="build_prompt",
        reference_module="mri_course.explain.prompt",
        check="mri_course.checks.lesson07:check_build_prompt",
        hints=(
            'Build a list of lines and return `"\\n".join(lines)`; f-strings make each line.',
            '`percent(facts.confidence)` gives `"97.1%"`; do the same for the runner-up, for '
            'each value of `facts.probabilities` and of `facts.region_summary["mass_by_region"]`.',
            "Paste `facts.colour_legend` as it is; never write a colour of your own.",
            'End with the answer\'s shape: JSON with `"summary"`, `"regions"` and '
            '`"caveats"`, one caveat saying this is not a diagnosis.',
        ),
    ),
    Exercise(
        id="7.2",
        lesson="07",
        name="parse_answer",
        reference_module="mri_course.explain.parse",
        check="mri_course.checks.lesson07:check_parse_answer",
        hints=(
            'A fenced answer: `re.fullmatch("```(?:json)?(.*)```", body, flags=re.DOTALL)` '
            "puts the JSON in `.group(1)`.",
            "`json.loads` raises `json.JSONDecodeError`; catch it and raise `AnswerError` "
            "instead (`from None` hides the first error).",
            "Check `isinstance(data, dict)`, then each field: present, the right type, not empty.",
            "Drop empty caveats, then `with_diagnosis_caveat(kept)` puts the course's caveat last.",
        ),
    ),
    # --- lesson 08: the app (mri_course.ood, mri_course.analysis, mri_course.scan_input) ---
    Exercise(
        id="8.1",
        lesson="08",
        name="image_warnings",
        reference_module="mri_course.ood",
        check="mri_course.checks.lesson08:check_image_warnings",
        hints=(
            "`found = image_statistics(pixels)` has `.colour`, `.spread` and `.dark_share`.",
            "Three `if`s in the docstring's order, each appending its reason to a list: "
            "`found.spread < BLANK_LIMIT`, `found.colour > COLOUR_LIMIT`, "
            "`found.dark_share < DARK_SHARE_MIN`.",
            "Return the list, also when it is empty: the image then looks like a scan.",
        ),
    ),
    Exercise(
        id="8.2",
        lesson="08",
        name="scan_key",
        reference_module="mri_course.analysis",
        check="mri_course.checks.lesson08:check_scan_key",
        hints=(
            "`array = np.ascontiguousarray(pixels)`: a flipped view and its copy then have "
            "the same bytes.",
            "`digest = hashlib.sha256()`, then `digest.update(...)` with the dtype and the "
            'shape as text (`f"{array.dtype.str}{array.shape}".encode()`) and with '
            "`array.tobytes()`.",
            "Return `digest.hexdigest()`.",
        ),
    ),
    Exercise(
        id="8.3",
        lesson="08",
        name="check_dimensions",
        reference_module="mri_course.scan_input",
        check="mri_course.checks.lesson08:check_check_dimensions",
        hints=(
            "Three `if`s in the docstring's order: `width * height > MAX_PIXELS`, "
            "`frames > 1`, `min(width, height) < MIN_SIDE`.",
            'Each raises `ScanInputError(f"{name} is {width} x {height} pixels, ...")` with '
            "what was found and what to upload instead.",
            "Return nothing when the image is fine.",
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
