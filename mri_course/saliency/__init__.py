"""Saliency maps: where did the model look, and can the map be trusted? Without TensorFlow:
:mod:`.names`, :mod:`.mask`, :mod:`.overlay` and :mod:`.summary`, for the explanations and
the app's page. With it: :mod:`.maps` (every method), :mod:`.trust`, :mod:`.tumour` and the
lesson's :mod:`.figures`. ``saliency_map(model, image, "gradcam")`` is the usual call."""
