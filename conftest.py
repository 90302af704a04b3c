"""Test-wide settings that must exist before any test or notebook kernel starts."""

import os
import tempfile

# Notebooks run under nbval in their own kernels, which inherit this environment: the
# fast profile makes every lesson run in seconds on synthetic data. A teacher can run the
# notebooks on the real data with MRI_COURSE_TEST_PROFILE=cpu.
os.environ["MRI_COURSE_PROFILE"] = os.environ.get("MRI_COURSE_TEST_PROFILE", "fast")

# Lessons 02 and 03 train and save models: in tests, into a scratch folder, not models/.
os.environ.setdefault("MRI_COURSE_MODELS", tempfile.mkdtemp(prefix="mri-course-test-models-"))
