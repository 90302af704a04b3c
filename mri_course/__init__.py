"""mri-course: from raw brain MRI scans to a classifier app, one lesson at a time.

Importing the package is cheap (TensorFlow loads only with the modules that need it).
"""

from mri_course.config import Settings, load_settings

__version__ = "0.1.0"
__all__ = ["Settings", "load_settings", "__version__"]
