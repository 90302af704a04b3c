"""Plausible wrong answers to lesson 04's exercises: each check must fail on them, with a
message that names the mistake."""

import numpy as np


def _softmax_naive(logits):
    scores = np.asarray(logits, dtype=np.float64)
    return np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)


def _softmax_whole_array(logits):
    scores = np.asarray(logits, dtype=np.float64)
    shifted = np.exp(scores - scores.max())
    return shifted / shifted.sum()


def _softmax_over_columns(logits):  # axis=0: right for one example, wrong for a batch
    scores = np.asarray(logits, dtype=np.float64)
    shifted = np.exp(scores - scores.max(axis=0, keepdims=True))
    return shifted / shifted.sum(axis=0, keepdims=True)


def _cross_entropy_through_probabilities(logits, label):
    scores = np.asarray(logits, dtype=np.float64)
    shifted = np.exp(scores - scores.max())
    return float(-np.log((shifted / shifted.sum())[label]))


def _cross_entropy_without_softmax(logits, label):  # -log of the raw score
    return float(-np.log(np.asarray(logits, dtype=np.float64)[label]))


def _cross_entropy_score_only(logits, label):  # log-softmax without its log-sum-exp
    return float(-np.asarray(logits, dtype=np.float64)[label])


def _cross_entropy_without_minus(logits, label):
    scores = np.asarray(logits, dtype=np.float64)
    top = scores.max()
    return float(scores[label] - (top + np.log(np.exp(scores - top).sum())))


def _cross_entropy_log10(logits, label):
    scores = np.asarray(logits, dtype=np.float64)
    top = scores.max()
    return float((top + np.log(np.exp(scores - top).sum()) - scores[label]) / np.log(10))


def _step_uphill(weights, gradient, learning_rate):
    return np.asarray(weights) + learning_rate * np.asarray(gradient)


def _step_in_place(weights, gradient, learning_rate):
    weights -= learning_rate * np.asarray(gradient)
    return weights


def _step_divides(weights, gradient, learning_rate):
    return np.asarray(weights) - np.asarray(gradient) / learning_rate


def _adamax_without_correction(
    weights, gradient, first_moment, largest_gradient, step, learning_rate=0.001,
    beta_1=0.9, beta_2=0.999, epsilon=1e-7,
):  # fmt: skip
    m = beta_1 * first_moment + (1 - beta_1) * gradient
    u = np.maximum(beta_2 * largest_gradient, np.abs(gradient))
    return weights - learning_rate * m / (u + epsilon), m, u


def _adamax_averaged_size(
    weights, gradient, first_moment, largest_gradient, step, learning_rate=0.001,
    beta_1=0.9, beta_2=0.999, epsilon=1e-7,
):  # fmt: skip
    m = beta_1 * first_moment + (1 - beta_1) * gradient
    u = beta_2 * largest_gradient + (1 - beta_2) * np.abs(gradient)
    corrected = u / (1 - beta_2**step)
    return weights - learning_rate * m / ((1 - beta_1**step) * (corrected + epsilon)), m, u


def _errors(weights, inputs, labels):
    return 1 / (1 + np.exp(-(inputs @ weights))) - labels


def _gradient_summed(weights, inputs, labels):
    return _errors(weights, inputs, labels) @ inputs


def _gradient_per_example(weights, inputs, labels):
    return _errors(weights, inputs, labels)[:, None] * inputs


def _gradient_label_minus_prediction(weights, inputs, labels):
    return -_errors(weights, inputs, labels) @ inputs / len(labels)


def _gradient_without_sigmoid(weights, inputs, labels):
    return (inputs @ weights - labels) @ inputs / len(labels)


def _gradient_mean_over_inputs(weights, inputs, labels):
    return (_errors(weights, inputs, labels)[:, None] * inputs).mean(axis=1)


WRONG_ANSWERS = {
    "4.1": [
        (_softmax_naive, "overflows"),
        (_softmax_whole_array, "the whole batch sums to 1"),
        (_softmax_over_columns, "each column sums to 1"),
    ],
    "4.2": [
        (_cross_entropy_through_probabilities, "infinite loss"),
        (_cross_entropy_without_softmax, "You left the softmax out"),
        (_cross_entropy_score_only, "You left the softmax out"),
        (_cross_entropy_without_minus, "a sign is missing"),
        (_cross_entropy_log10, "log base 10"),
    ],
    "4.3": [
        (_step_uphill, "uphill"),
        (_step_in_place, "in place"),
        (_step_divides, "divided the gradient by the learning rate"),
    ],
    "4.4": [
        (_adamax_without_correction, "1 - beta_1**step"),
        (_adamax_averaged_size, "not an average"),
    ],
    "4.5": [
        (_gradient_summed, "you summed over the batch"),
        (_gradient_per_example, "one gradient per example"),
        (_gradient_label_minus_prediction, "points downhill"),
        (_gradient_without_sigmoid, "raw score"),
        (_gradient_mean_over_inputs, "one number per example"),
    ],
}
