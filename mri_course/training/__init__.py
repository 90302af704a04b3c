"""Training: one ``train`` for every model, with checkpoints, early stopping, a model card
and atomic saves. Imports TensorFlow."""

from mri_course.training.recipes import MODEL_KINDS, Recipe, recipe_for
from mri_course.training.run import TrainedModel, evaluate, train

__all__ = ["MODEL_KINDS", "Recipe", "TrainedModel", "evaluate", "recipe_for", "train"]
