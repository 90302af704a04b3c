"""Saliency maps: where did the model look, and can the map be trusted?

Words and drawing need no TensorFlow, so the explanations and the app's page can use them
alone: :mod:`.names` (the methods and regions), :mod:`.mask` (where the brain is),
:mod:`.display` (a raw map as drawn), :mod:`.overlay` (its colours and their legend) and
:mod:`.summary` (where its mass lies, in words). Computing maps needs TensorFlow:
:mod:`.maps` holds every method, the brief's first, and :mod:`.trust` measures whether a
method deserves trust.

    from mri_course.saliency.maps import saliency_map
    grad_cam = saliency_map(model, image, "gradcam")
"""
