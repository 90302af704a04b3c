"""Facts of the published Kaggle release that the code checks the data against."""

from __future__ import annotations

KAGGLE_HANDLE = "masoudnickparvar/brain-tumor-mri-dataset"
KAGGLE_URL = "https://www.kaggle.com/datasets/masoudnickparvar/brain-tumor-mri-dataset"

CLASS_NAMES: tuple[str, ...] = ("glioma", "meningioma", "notumor", "pituitary")
"""The four labels, in the order of the model's outputs (alphabetical, as in the folders)."""

SPLIT_NAMES: tuple[str, ...] = ("Training", "Testing")
"""The two official folders of the release."""

RELEASE_COUNTS: dict[str, dict[str, int]] = {
    "Training": {"glioma": 1321, "meningioma": 1339, "notumor": 1595, "pituitary": 1457},
    "Testing": {"glioma": 300, "meningioma": 306, "notumor": 405, "pituitary": 300},
}
"""Images per split and class in the 7023-image release (5712 + 1311)."""
