"""Test-wide settings that must exist before any test or notebook kernel starts."""

import os

# Notebooks run under nbval in their own kernels, which inherit this environment: the
# fast profile makes every lesson run in seconds on synthetic data. A teacher can run the
# notebooks on the real data with MRI_COURSE_TEST_PROFILE=cpu.
os.environ["MRI_COURSE_PROFILE"] = os.environ.get("MRI_COURSE_TEST_PROFILE", "fast")
