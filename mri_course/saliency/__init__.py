"""Saliency maps: where did the model look, and can the map be trusted?

Without TensorFlow, for the explanations and the app's page: :mod:`.names` (the methods
and regions), :mod:`.mask` (where the brain is), :mod:`.overlay` (how a map is drawn, and
its legend) and :mod:`.summary` (where its mass lies, in words). With TensorFlow:
:mod:`.maps` (every method, the brief's first) and :mod:`.trust` (does a method deserve
trust), drawn by :mod:`.figures`.

    from mri_course.saliency.maps import saliency_map
    grad_cam = saliency_map(model, image, "gradcam")
"""
