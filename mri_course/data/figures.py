"""Figures of lesson 01: what the dataset looks like, in numbers and in pictures.

Each function draws one figure with matplotlib and returns it, so a lesson cell stays one
line long and the figure can also be saved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from mri_course.data.decode import load_rgb
from mri_course.data.index import ImageRecord
from mri_course.data.release import CLASS_NAMES, SPLIT_NAMES
from mri_course.data.scan import ScanResult


def class_counts_chart(counts: dict[str, dict[str, int]]) -> Figure:
    """Bars of images per class, one colour per split."""
    figure, axis = plt.subplots(figsize=(7, 3.2))
    positions = np.arange(len(CLASS_NAMES))
    width = 0.8 / len(counts)
    for k, (split, per_class) in enumerate(counts.items()):
        values = [per_class[c] for c in CLASS_NAMES]
        bars = axis.bar(positions + k * width, values, width, label=split)
        axis.bar_label(bars, fontsize=8)
    axis.set_xticks(positions + width * (len(counts) - 1) / 2, CLASS_NAMES)
    axis.set_ylabel("images")
    axis.set_title("Images per class")
    axis.legend()
    figure.tight_layout()
    return figure


def sample_grid(records: Sequence[ImageRecord], per_class: int = 6, seed: int = 0) -> Figure:
    """A few random scans of each class, one row per class, with their pixel sizes."""
    rng = np.random.default_rng(seed)
    figure, axes = plt.subplots(
        len(CLASS_NAMES), per_class, figsize=(1.7 * per_class, 1.8 * len(CLASS_NAMES))
    )
    for row, label in enumerate(CLASS_NAMES):
        of_class = [r for r in records if r.label == label]
        chosen = rng.choice(len(of_class), size=min(per_class, len(of_class)), replace=False)
        for col, axis in enumerate(axes[row]):
            axis.axis("off")
            if col < len(chosen):
                pixels = load_rgb(of_class[chosen[col]].path)
                axis.imshow(pixels)
                axis.set_title(f"{pixels.shape[1]}x{pixels.shape[0]}", fontsize=7)
        axes[row][0].text(
            -0.1,
            0.5,
            label,
            transform=axes[row][0].transAxes,
            rotation=90,
            va="center",
            ha="right",
            fontsize=10,
        )
    figure.tight_layout()
    return figure


def size_and_intensity_charts(records: Sequence[ImageRecord], scan: ScanResult) -> Figure:
    """Image sizes and mean brightness per class: where the sources of the dataset show."""
    labels = np.array([r.label for r in records])
    ok = scan.usable
    sizes = np.array([f"{w}x{h}" for w, h in zip(scan.widths, scan.heights, strict=True)])
    common = Counter(sizes[ok].tolist()).most_common(1)[0][0] if ok.any() else ""
    figure, (share_axis, brightness) = plt.subplots(1, 2, figsize=(11, 3.6))
    for k, label in enumerate(CLASS_NAMES):
        mine = ok & (labels == label)
        share = float(np.mean(sizes[mine] == common)) if mine.any() else 0.0
        share_axis.bar(k, share, color="tab:blue")
        share_axis.bar(k, 1 - share, bottom=share, color="tab:orange")
        distinct = len(set(sizes[mine].tolist()))
        share_axis.text(
            k, 1.02, f"{distinct} size{'s' if distinct != 1 else ''}", ha="center", fontsize=8
        )
        brightness.hist(scan.mean_intensity[mine], bins=40, histtype="step", label=label)
    share_axis.set_xticks(range(len(CLASS_NAMES)), CLASS_NAMES)
    share_axis.set(
        ylim=(0, 1.12),
        ylabel="share of the class",
        title=f"Blue: images of the most common size ({common}); orange: others",
    )
    brightness.set(
        xlabel="mean pixel value (0-255)", ylabel="images", title="Mean brightness of each image"
    )
    brightness.legend()
    figure.tight_layout()
    return figure


def color_summary(records: Sequence[ImageRecord], scan: ScanResult) -> str:
    """A table: per split and class, files stored gray, gray pixels in RGB files, colour."""
    labels = np.array([f"{r.split}/{r.label}" for r in records])
    lines = [f"{'split/class':<22}{'gray file':>10}{'gray in RGB':>13}{'colour':>8}"]
    for split in SPLIT_NAMES:
        for label in CLASS_NAMES:
            mine = (labels == f"{split}/{label}") & scan.usable
            stored_gray = int(np.sum(mine & (scan.modes == "L")))
            gray_in_rgb = int(np.sum(mine & scan.gray_content & (scan.modes != "L")))
            colour = int(mine.sum()) - stored_gray - gray_in_rgb
            lines.append(f"{split + '/' + label:<22}{stored_gray:>10}{gray_in_rgb:>13}{colour:>8}")
    return "\n".join(lines)


def image_pairs(root: Path, pairs: Sequence[tuple[str, str, str]], columns: int = 3) -> Figure:
    """Pairs of dataset images side by side; each pair is ``(left, right, caption)``."""
    rows = max(1, int(np.ceil(len(pairs) / columns)))
    figure, axes = plt.subplots(
        rows, 2 * columns, figsize=(2.2 * 2 * columns, 2.4 * rows), squeeze=False
    )
    for axis in axes.ravel():
        axis.axis("off")
    for k, (left, right, caption) in enumerate(pairs):
        row, col = divmod(k, columns)
        for offset, relpath in enumerate((left, right)):
            axis = axes[row][2 * col + offset]
            axis.imshow(load_rgb(Path(root) / relpath))
            name = relpath.split("/")[-1]
            axis.set_title(f"{name}\n{caption}" if offset else name, fontsize=7)
    figure.tight_layout()
    return figure


def image_strip(images: Sequence[np.ndarray], titles: Sequence[str], size: float = 1.9) -> Figure:
    """Images (uint8 or 0..255 floats) in one row, each with a title."""
    figure, axes = plt.subplots(
        1, len(images), figsize=(size * len(images), size + 0.4), squeeze=False
    )
    for axis, image, title in zip(axes[0], images, titles, strict=True):
        axis.imshow(np.clip(np.asarray(image), 0, 255).astype(np.uint8), cmap="gray")
        axis.set_title(title, fontsize=8)
        axis.axis("off")
    figure.tight_layout()
    return figure
