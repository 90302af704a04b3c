"""Beyond the test set: what the official test set cannot show (the lesson after evaluation).

The test set shares the training set's sources, framing and slice planes, so a model can
score well by learning them instead of anatomy. Each module measures one way of looking
past it: :mod:`.metadata` (a model that never sees the brain), :mod:`.planes` (the slice
plane of every image, and a classifier for new ones), :mod:`.groups` (the confound: class
x plane, accuracy per group), :mod:`.mni152` (a healthy brain from elsewhere, in every
plane) and :mod:`.stress` (the same scans, cropped, turned, re-windowed, compressed).
:mod:`.caution` turns what they measured into the app's cautions.
"""
