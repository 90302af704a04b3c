"""Plausible wrong answers to lesson 02's exercises: each check must fail on them."""

from mri_course.exercises.catalog import exercise_by_id
from mri_course.exercises.runtime import reference


def _wrong_head_without_dropout(features):
    from keras import layers

    x = layers.Flatten(name="head_flatten")(features)
    x = layers.Dense(128, activation="relu", name="head_dense")(x)
    return layers.Dense(4, activation="softmax", name="probabilities")(x)


def _wrong_head_without_softmax(features):
    from keras import layers

    x = layers.Flatten(name="head_flatten")(features)
    x = layers.Dropout(0.3, name="head_dropout1")(x)
    x = layers.Dense(128, activation="relu", name="head_dense")(x)
    x = layers.Dropout(0.25, name="head_dropout2")(x)
    return layers.Dense(4, name="probabilities")(x)


def _wrong_head_rates_swapped(features):
    from keras import layers

    x = layers.Flatten(name="head_flatten")(features)
    x = layers.Dropout(0.25, name="head_dropout1")(x)
    x = layers.Dense(128, activation="relu", name="head_dense")(x)
    x = layers.Dropout(0.3, name="head_dropout2")(x)
    return layers.Dense(4, activation="softmax", name="probabilities")(x)


def _wrong_compile_adam(learning_rate=0.001):
    import keras

    settings = reference(exercise_by_id("2.2"))(learning_rate)
    return {**settings, "optimizer": keras.optimizers.Adam(learning_rate)}


def _wrong_compile_sparse(learning_rate=0.001):
    import keras

    settings = reference(exercise_by_id("2.2"))(learning_rate)
    return {**settings, "loss": keras.losses.SparseCategoricalCrossentropy()}


def _wrong_compile_fixed_rate(learning_rate=0.001):
    return reference(exercise_by_id("2.2"))(0.001)


def _wrong_compile_plain_accuracy(learning_rate=0.001):
    import keras

    settings = reference(exercise_by_id("2.2"))(learning_rate)
    return {**settings, "metrics": [keras.metrics.Accuracy(), *settings["metrics"][1:]]}


def _wrong_unfreeze_with_batch_norm(model, blocks):
    reference(exercise_by_id("2.3"))(model, blocks)
    from mri_course.models.transfer import xception_block_of

    top = {f"block{n}" for n in range(15 - blocks, 15)}
    for name, block in xception_block_of(model).items():
        if block in top:  # batch norms included: the mistake
            model.get_layer(name).trainable = True
    return model


def _wrong_unfreeze_forgets_head(model, blocks):
    reference(exercise_by_id("2.3"))(model, blocks)
    for name in ("head_dense", "probabilities"):
        model.get_layer(name).trainable = False
    return model


def _wrong_unfreeze_one_block_too_many(model, blocks):
    return reference(exercise_by_id("2.3"))(model, blocks + 1)


WRONG_ANSWERS = {
    "2.1": [
        (_wrong_head_without_dropout, "Flatten, Dropout, Dense"),
        (_wrong_head_without_softmax, "softmax"),
        (_wrong_head_rates_swapped, "0.3, then 0.25"),
    ],
    "2.2": [
        (_wrong_compile_adam, "Adamax"),
        (_wrong_compile_sparse, "CategoricalCrossentropy"),
        (_wrong_compile_fixed_rate, "learning_rate=0.01"),
        (_wrong_compile_plain_accuracy, "CategoricalAccuracy"),
    ],
    "2.3": [
        (_wrong_unfreeze_with_batch_norm, "batch normalisation"),
        (_wrong_unfreeze_forgets_head, "head always learns"),
        (_wrong_unfreeze_one_block_too_many, "is trainable"),
    ],
}
