"""Synthetic brain-like scans for the ``fast`` profile and the tests.

Each image is an oval head (skull ring, textured brain, two ventricles) with a lesion whose
*shape and place* give the class, like the real tumours:

* glioma: an irregular ring-enhancing mass inside one hemisphere;
* meningioma: a round, uniformly bright mass pressed against the skull;
* pituitary: a small bright spot on the midline, low in the head (the sella);
* notumor: no lesion.

The lesion masks are saved beside the images, so a trained model can be checked to look at
the lesion. The set also plants the real dataset's traps in miniature: exact and near
copies across Training/Testing, a copy inside Training, a PNG file named ``.jpg``, and a mix
of grayscale and RGB files. Everything is fixed by the seed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from mri_course.data.decode import png_bytes
from mri_course.data.release import CLASS_NAMES

GENERATOR_VERSION = 1
MANIFEST_NAME = "synthetic.json"
MASKS_FOLDER = "masks"
NOISE_STD = 3.0


@dataclass(frozen=True)
class SyntheticDataset:
    """A generated dataset folder and what was planted in it."""

    root: Path
    manifest: dict

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return self.manifest["counts"]

    @property
    def planted_duplicates(self) -> list[dict]:
        """``{"kind": "exact" | "near", "original": relpath, "copy": relpath}`` entries."""
        return self.manifest["planted_duplicates"]

    def mask_for(self, relpath: str) -> np.ndarray:
        """The boolean lesion mask of an image (all False for ``notumor``)."""
        mask_path = self.root / MASKS_FOLDER / Path(relpath).with_suffix(".png")
        return np.asarray(Image.open(mask_path)) > 0


def _ellipse(u: np.ndarray, v: np.ndarray, cu: float, cv: float, ru: float, rv: float):
    return ((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2


def render_scan(label: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw one synthetic axial slice of class ``label``.

    Returns the ``uint8`` grayscale image ``(size, size)`` and the boolean lesion mask.
    """
    if label not in CLASS_NAMES:
        raise ValueError(f"label must be one of {CLASS_NAMES}, got {label!r}")
    y, x = np.mgrid[-1 : 1 : size * 1j, -1 : 1 : size * 1j]
    # Head pose: a small shift, scale and tilt, so position alone cannot give the class.
    cx, cy = rng.normal(0.0, 0.04, size=2)
    angle = rng.uniform(-0.2, 0.2)
    scale_u, scale_v = rng.uniform(0.70, 0.80), rng.uniform(0.80, 0.90)
    xs, ys = x - cx, y - cy
    u = (np.cos(angle) * xs + np.sin(angle) * ys) / scale_u  # head coordinates: the
    v = (-np.sin(angle) * xs + np.cos(angle) * ys) / scale_v  # brain edge is at radius 0.9
    radius = np.sqrt(u**2 + v**2)

    smooth = gaussian_filter(rng.normal(size=(size, size)), sigma=size / 16)
    fine = gaussian_filter(rng.normal(size=(size, size)), sigma=size / 64)
    brain_level = rng.uniform(90, 120)
    image = np.zeros((size, size))
    brain = radius < 0.9
    image[brain] = brain_level + 60 * smooth[brain] + 25 * fine[brain]
    image[(radius >= 0.92) & (radius < 1.0)] = rng.uniform(190, 235)  # skull
    for side in (-1, 1):  # ventricles
        image[_ellipse(u, v, side * 0.12, -0.05, 0.08, 0.22) < 1] = 45

    mask = np.zeros((size, size), dtype=bool)
    if label == "glioma":
        cu, cv = rng.choice([-1, 1]) * rng.uniform(0.35, 0.5), rng.uniform(-0.4, 0.15)
        theta = np.arctan2(v - cv, u - cu)
        wobble = 1 + sum(
            rng.uniform(0.08, 0.2) * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
            for k in (2, 3, 5)
        )
        rho = np.sqrt((u - cu) ** 2 + (v - cv) ** 2) / (rng.uniform(0.17, 0.24) * wobble)
        mask = rho < 1
        image[mask] = 195
        image[rho < 0.55] = 70  # necrotic core inside the enhancing rim
    elif label == "meningioma":
        r = rng.uniform(0.13, 0.18)
        phi = rng.uniform(-np.pi * 0.85, -np.pi * 0.15)  # upper half, against the skull
        cu, cv = (0.9 - r) * np.cos(phi), (0.9 - r) * np.sin(phi)
        mask = _ellipse(u, v, cu, cv, r, r) < 1
        image[mask] = 215
    elif label == "pituitary":
        r = rng.uniform(0.07, 0.1)
        mask = _ellipse(u, v, rng.uniform(-0.03, 0.03), rng.uniform(0.42, 0.5), r, r * 0.8) < 1
        image[mask] = 225

    gamma = rng.uniform(0.8, 1.25)  # scanners and sequences differ in contrast
    image = 255.0 * (np.clip(image, 0, 255) / 255.0) ** gamma
    head = radius < 1.0  # outside the head MRI air is black, with no tissue to give signal
    image[head] += rng.normal(0.0, NOISE_STD, size=int(head.sum()))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), mask


def _near_copy(gray: np.ndarray) -> np.ndarray:
    """The same scan enlarged by half and re-windowed, as the real set's rescaled copies."""
    size = gray.shape[0] * 3 // 2
    enlarged = Image.fromarray(gray).resize((size, size), Image.Resampling.BICUBIC)
    values = np.asarray(enlarged, dtype=np.float64)
    return np.clip(np.rint(255.0 * (values / 255.0) ** 1.15), 0, 255).astype(np.uint8)


def make_synthetic_dataset(
    root: Path | str,
    train_per_class: int = 30,
    test_per_class: int = 10,
    size: int = 128,
    seed: int = 42,
) -> SyntheticDataset:
    """Write a synthetic dataset in the Kaggle layout under ``root`` and return it.

    ``root`` must not exist yet or be empty. Per class, the first test image is an exact
    copy and the second a near copy of a training image (when there are enough images).
    """
    if train_per_class < 3 or test_per_class < 2:
        raise ValueError("need at least 3 training and 2 test images per class")
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty; pick a new folder for synthetic data")
    rng = np.random.default_rng(seed)
    planted: list[dict] = []
    counts = {split: dict.fromkeys(CLASS_NAMES, 0) for split in ("Training", "Testing")}
    serial = 0

    def write(relpath: str, gray: np.ndarray, mask: np.ndarray) -> None:
        nonlocal serial
        serial += 1
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png_bytes(np.dstack([gray] * 3) if serial % 3 == 0 else gray))
        mask_path = root / MASKS_FOLDER / Path(relpath).with_suffix(".png")
        mask_path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(mask.astype(np.uint8) * 255).save(mask_path)
        split, label = relpath.split("/")[:2]
        counts[split][label] += 1

    for label in CLASS_NAMES:
        tag = label[:2]
        originals = []
        for k in range(train_per_class):
            gray, mask = render_scan(label, size, rng)
            suffix = ".jpg" if (label == "notumor" and k == 1) else ".png"  # PNG named .jpg
            relpath = f"Training/{label}/Tr-sy-{tag}_{k:04d}{suffix}"
            if label == "notumor" and k == 2:  # a copy inside Training
                gray, mask = originals[0][1], originals[0][2]
                planted.append({"kind": "exact", "original": originals[0][0], "copy": relpath})
            write(relpath, gray, mask)
            originals.append((relpath, gray, mask))
        for k in range(test_per_class):
            relpath = f"Testing/{label}/Te-sy-{tag}_{k:04d}.png"
            if k == 0:
                source, gray, mask = originals[-1]
                planted.append({"kind": "exact", "original": source, "copy": relpath})
            elif k == 1:
                source, original, mask = originals[-2]
                gray = _near_copy(original)
                mask = np.asarray(Image.fromarray(mask).resize(gray.shape[::-1])) > 0
                planted.append({"kind": "near", "original": source, "copy": relpath})
            else:
                gray, mask = render_scan(label, size, rng)
            write(relpath, gray, mask)

    manifest = {
        "generator": "mri_course.data.synthetic",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "size": size,
        "train_per_class": train_per_class,
        "test_per_class": test_per_class,
        "counts": counts,
        "planted_duplicates": planted,
    }
    (root / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))
    return SyntheticDataset(root=root, manifest=manifest)


def load_synthetic_dataset(root: Path | str) -> SyntheticDataset | None:
    """The synthetic dataset at ``root``, or None when ``root`` holds no complete one."""
    manifest_path = Path(root) / MANIFEST_NAME
    if not manifest_path.is_file():
        return None
    return SyntheticDataset(root=Path(root), manifest=json.loads(manifest_path.read_text()))


def ensure_synthetic_dataset(
    cache_dir: Path | str,
    train_per_class: int = 30,
    test_per_class: int = 10,
    size: int = 128,
    seed: int = 42,
) -> SyntheticDataset:
    """Generate the synthetic dataset once in ``cache_dir`` and reuse it afterwards.

    It is written to a temporary folder and renamed into place, so an interrupted run or
    two lessons starting at once never leave a half-written dataset behind.
    """
    name = f"synthetic-v{GENERATOR_VERSION}-{size}px-{train_per_class}x{test_per_class}-seed{seed}"
    target = Path(cache_dir) / name
    existing = load_synthetic_dataset(target)
    if existing is not None:
        return existing
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{name}."))
    try:
        make_synthetic_dataset(scratch, train_per_class, test_per_class, size, seed)
        try:
            os.rename(scratch, target)
        except OSError:  # another process finished first; use its copy
            if load_synthetic_dataset(target) is None:
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    dataset = load_synthetic_dataset(target)
    if dataset is None:
        raise RuntimeError(f"synthetic dataset in {target} is incomplete; delete the folder")
    return dataset
