"""Intuition for how a network learns (lesson 04), as small pure functions.

* :mod:`.loss`: softmax and cross-entropy in NumPy;
* :mod:`.descent`: gradient descent, momentum and Adamax on 1-D and 2-D loss surfaces;
* :mod:`.backprop`: one neuron's gradient by hand, and training steps on a real batch;
* :mod:`.stochastic`: stochastic (mini-batch) gradient descent on a surface made of data;
* :mod:`.range_test`: the learning-rate range test, and what a bad rate costs;
* :mod:`.figures`: their plots (the widgets in :mod:`mri_course.widgets` redraw these).
"""

from mri_course.intuition.descent import (
    DescentPath,
    Surface,
    adamax_step,
    bowl_1d,
    descent_path,
    describe_path,
    gradient_descent_step,
    valley_2d,
)
from mri_course.intuition.loss import cross_entropy, cross_entropy_from_logits, softmax
from mri_course.intuition.stochastic import (
    DataSurface,
    biopsy_surface,
    minibatch_gradient,
    minibatch_path,
)

__all__ = [
    "DataSurface",
    "DescentPath",
    "Surface",
    "adamax_step",
    "biopsy_surface",
    "bowl_1d",
    "cross_entropy",
    "cross_entropy_from_logits",
    "descent_path",
    "describe_path",
    "gradient_descent_step",
    "minibatch_gradient",
    "minibatch_path",
    "softmax",
    "valley_2d",
]
