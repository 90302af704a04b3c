"""The course's models. Importing the package registers its own layers with Keras
(:class:`~mri_course.models.framing.HeadCrop`), so any saved model of the course loads."""

from mri_course.models import framing  # noqa: F401
