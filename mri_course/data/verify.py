"""Check a dataset folder against the known release before any model sees it.

Problems (a missing class folder, a wrong count, a file that does not decode) come back as
a list, each naming the file or folder; nothing is skipped in silence, so no image can
drop out or carry a wrong label unnoticed. Notes record what is odd but harmless, such as
a PNG file named ``.jpg``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mri_course.data.index import DatasetIndex, Problem
from mri_course.data.release import CLASS_NAMES, SPLIT_NAMES
from mri_course.data.scan import ScanResult

_SUFFIX_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".bmp": "BMP",
    ".gif": "GIF",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
}


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_dataset` found."""

    root: Path
    counts: dict[str, dict[str, int]]
    expected_counts: dict[str, dict[str, int]]
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]
    formats: dict[str, int]
    modes: dict[str, int]
    distinct_sizes: int
    common_sizes: tuple[tuple[str, int], ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_text(self) -> str:
        total = sum(sum(c.values()) for c in self.counts.values())
        lines = [f"Dataset: {self.root}", f"Images: {total}"]
        for split in SPLIT_NAMES:
            cells = ", ".join(
                f"{c} {self.counts[split][c]}/{self.expected_counts[split][c]}" for c in CLASS_NAMES
            )
            lines.append(f"  {split:<9}(found/expected) {cells}")
        lines.append("Formats (sniffed from the bytes): " + _fmt_counter(self.formats))
        lines.append("Pillow modes before conversion: " + _fmt_counter(self.modes))
        sizes = ", ".join(f"{s} x{n}" for s, n in self.common_sizes)
        lines.append(f"Distinct image sizes: {self.distinct_sizes} (most common: {sizes})")
        lines += [f"Note: {note}" for note in self.notes]
        if self.ok:
            lines.append("OK: every file decodes and the counts match.")
        else:
            lines.append(f"{len(self.problems)} problem(s):")
            lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


def _fmt_counter(counter: dict[str, int]) -> str:
    return ", ".join(
        f"{key} {value}" for key, value in sorted(counter.items(), key=lambda kv: -kv[1])
    )


def verify_dataset(
    index: DatasetIndex, scan: ScanResult, expected_counts: dict[str, dict[str, int]]
) -> VerifyReport:
    """Compare ``index`` and its ``scan`` with ``expected_counts`` and list what is wrong."""
    problems = list(index.problems)
    counts = index.counts()
    for split in SPLIT_NAMES:
        for label in CLASS_NAMES:
            found, expected = counts[split][label], expected_counts[split][label]
            if found != expected:
                problems.append(
                    Problem(f"{split}/{label}/", f"{found} images, the release has {expected}")
                )
    for relpath, error in zip(scan.relpaths.tolist(), scan.errors.tolist(), strict=True):
        if error:
            problems.append(Problem(relpath, error))

    ok = scan.usable
    mismatched = [
        (relpath, fmt)
        for relpath, fmt in zip(scan.relpaths[ok].tolist(), scan.formats[ok].tolist(), strict=True)
        if _SUFFIX_FORMATS.get(Path(relpath).suffix.lower()) != fmt
    ]
    notes = []
    if mismatched:
        shown = ", ".join(f"{Path(r).name} is {f}" for r, f in mismatched[:6])
        notes.append(
            f"{len(mismatched)} file(s) hold another format than their extension says "
            f"({shown}{', ...' if len(mismatched) > 6 else ''}); they are decoded by content."
        )
    gray_rgb = int(np.sum(ok & scan.gray_content & (scan.modes != "L")))
    if gray_rgb:
        notes.append(f"{gray_rgb} file(s) are stored as colour but hold gray pixels only.")
    sizes = Counter(
        f"{w}x{h}" for w, h in zip(scan.widths[ok].tolist(), scan.heights[ok].tolist(), strict=True)
    )
    return VerifyReport(
        root=index.root,
        counts=counts,
        expected_counts=expected_counts,
        problems=tuple(problems),
        notes=tuple(notes),
        formats=dict(Counter(scan.formats[ok].tolist())),
        modes=dict(Counter(scan.modes[ok].tolist())),
        distinct_sizes=len(sizes),
        common_sizes=tuple(sizes.most_common(3)),
    )
