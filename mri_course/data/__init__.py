"""The dataset: find it, check it, find its duplicates, split it, feed it to a model.

Everything here works without TensorFlow except :mod:`mri_course.data.pipeline`, which is
imported on its own so that checking the data stays quick.
"""

from mri_course.data.decode import DecodeError, decode_image, load_rgb, to_three_channels
from mri_course.data.index import (
    DatasetIndex,
    ImageRecord,
    Problem,
    count_images_per_class,
    index_dataset,
)
from mri_course.data.locate import DatasetNotFoundError, dataset_root, locate_dataset
from mri_course.data.release import CLASS_NAMES, RELEASE_COUNTS, SPLIT_NAMES
from mri_course.data.splits import Splits, group_stratified_split
from mri_course.data.survey import DatasetSurvey, survey_dataset
from mri_course.data.synthetic import SyntheticDataset, ensure_synthetic_dataset

__all__ = [
    "CLASS_NAMES",
    "RELEASE_COUNTS",
    "SPLIT_NAMES",
    "DatasetIndex",
    "DatasetNotFoundError",
    "DatasetSurvey",
    "DecodeError",
    "ImageRecord",
    "Problem",
    "Splits",
    "SyntheticDataset",
    "count_images_per_class",
    "dataset_root",
    "decode_image",
    "ensure_synthetic_dataset",
    "group_stratified_split",
    "index_dataset",
    "load_rgb",
    "locate_dataset",
    "survey_dataset",
    "to_three_channels",
]
