"""Your exercises: one module per lesson (``lesson01.py``, ...), generated from the reference.

See :mod:`mri_course.exercises.runtime` for what happens when a lesson calls them and
:mod:`mri_course.exercises.generate` for how the stubs are made.
"""
