"""Find the dataset: a path you give, the ``MRI_COURSE_DATA`` setting, or a Kaggle download.

Offline, the download fails fast with a message that says how to point the course at a
local copy, or how to run on synthetic data instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mri_course.config import DATA_ENV, PROFILE_ENV, Settings
from mri_course.data.release import KAGGLE_HANDLE, SPLIT_NAMES
from mri_course.data.synthetic import ensure_synthetic_dataset


class DatasetNotFoundError(RuntimeError):
    """The dataset is neither where the settings point nor downloadable."""


def _kagglehub_download(handle: str) -> str:
    import kagglehub

    return kagglehub.dataset_download(handle)


def find_dataset_root(folder: Path) -> Path | None:
    """``folder`` itself or the one subfolder below it that holds Training/ and Testing/.

    A Kaggle download or an unzipped archive sometimes adds one level of folders.
    """
    if not folder.is_dir():
        return None
    candidates = [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]
    return next((c for c in candidates if all((c / s).is_dir() for s in SPLIT_NAMES)), None)


def _help(source: str = DATA_ENV) -> str:
    target = f"Point {DATA_ENV} at" if source == DATA_ENV else "Give a path to"
    return (
        f"{target} a local copy of the dataset (a folder with Training/ and Testing/), e.g.\n"
        f"    export {DATA_ENV}=/path/to/brain-tumor-mri\n"
        f"or run on synthetic data with {PROFILE_ENV}=fast."
    )


def locate_dataset(
    path: Path | str | None = None,
    settings: Settings | None = None,
    download: Callable[[str], str] = _kagglehub_download,
) -> Path:
    """The folder holding ``Training/`` and ``Testing/`` of the Kaggle dataset.

    Looks in order at ``path``, then ``settings.data_dir``, then downloads with kagglehub
    (which caches the download, so it happens once). ``download`` is replaceable so the
    offline failure can be tested.
    """
    for candidate, source in ((path, "the path given"), (settings and settings.data_dir, DATA_ENV)):
        if candidate is None:
            continue
        folder = Path(candidate).expanduser()
        if not folder.is_dir():
            raise DatasetNotFoundError(f"{source} ({folder}) is not a folder.\n{_help(source)}")
        root = find_dataset_root(folder)
        if root is None:
            raise DatasetNotFoundError(
                f"{source} ({folder}) has no Training/ and Testing/ folders.\n{_help(source)}"
            )
        return root
    try:
        downloaded = Path(download(KAGGLE_HANDLE))
    except Exception as error:  # network, authentication, quota: all mean "no download"
        reason = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        raise DatasetNotFoundError(
            f"Could not download {KAGGLE_HANDLE} with kagglehub ({reason}).\n{_help()}"
        ) from error
    root = find_dataset_root(downloaded)
    if root is None:
        raise DatasetNotFoundError(f"the download in {downloaded} has no Training/ and Testing/")
    return root


def dataset_root(settings: Settings) -> Path:
    """The dataset the profile asks for: synthetic (``fast``) or the real one."""
    profile = settings.profile
    if profile.synthetic:
        return ensure_synthetic_dataset(
            settings.cache_dir,
            train_per_class=profile.synthetic_train_per_class,
            test_per_class=profile.synthetic_test_per_class,
            seed=settings.seed,
        ).root
    return locate_dataset(settings=settings)
