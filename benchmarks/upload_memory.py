"""What the heaviest uploads cost in memory: the file kinds an attacker or a hospital sends.

    python benchmarks/upload_memory.py [--out benchmarks/results/upload_memory]

Each file is made here (nothing is downloaded) and handled in a fresh Python process the
way the app handles one upload: the shipped CNN is loaded and warmed up on a normal scan
first (the app's idle state), the peak resident memory is reset (``/proc/self/clear_refs``),
then the file's bytes are read, decoded (:func:`mri_course.app.scan_input.read_scan`) and
analysed (:func:`mri_course.app.analysis.analyse_scan`, Grad-CAM, with the overlay's PNG).
The figure is the peak resident memory above the idle state (``VmHWM`` minus ``VmRSS``
before). Streamlit also keeps the uploaded bytes, and ``getvalue()`` copies them once more:
the table adds twice the file's size for those, so the total is what the server spends.

Linux only (``/proc``). Target (issue 13): under 400 MB for every file the app accepts.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from mri_course.app.scan_input import (
    ALPHA_BYTES_PER_PIXEL,
    DECODE_BYTES_PER_PIXEL,
    MAX_DECODED_BYTES,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    OTHER_BYTES_PER_PIXEL,
)
from mri_course.data.dicom import WORKING_BYTES_PER_SAMPLE
from mri_course.io import atomic_write_text

TARGET_MB = 400
MB = 2**20


def _png(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=options.pop("format", "PNG"), **options)
    return buffer.getvalue()


def _side(bytes_per_pixel: int) -> int:
    """The side of the largest square image the app takes at this many bytes a pixel."""
    return int(min(MAX_DECODED_BYTES / bytes_per_pixel, MAX_PIXELS) ** 0.5) - 8


def _cube(bytes_per_voxel: int, limit: int = MAX_DECODED_BYTES) -> int:
    """The side of the largest cubic volume within ``limit`` at this many bytes a voxel."""
    return int((limit / bytes_per_voxel) ** (1 / 3)) - 2


def _dicom(frames: np.ndarray) -> bytes:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from medical_files import dicom_bytes

    return dicom_bytes(list(frames))


def _nifti(volume: np.ndarray, slope: float | None = None, compressed: bool = True) -> bytes:
    import nibabel as nib

    image = nib.Nifti1Image(volume, np.eye(4))
    if slope is not None:
        image.header.set_slope_inter(slope, 0.0)
    data = image.to_bytes()
    return gzip.compress(data, compresslevel=1) if compressed else data


def _noise_volume(side: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 1000, size=(side, side, side)).astype(np.int16)


def _gradient(side: int, mode: str) -> Image.Image:
    """A smooth image (small as a PNG), so the file stays far under the upload limit."""
    ramp = np.linspace(0, 255, side, dtype=np.float32)
    grey = np.add.outer(ramp, ramp) / 2
    return Image.fromarray(grey.astype(np.uint8)).convert(mode)


def files() -> dict[str, tuple[str, bytes]]:
    """name -> (file name, bytes): the heaviest file of each kind the app accepts, and more."""
    alpha, other, grey = _side(ALPHA_BYTES_PER_PIXEL), _side(OTHER_BYTES_PER_PIXEL), _side(2)
    deep = _side(DECODE_BYTES_PER_PIXEL["I;16"])
    frame = int((MAX_DECODED_BYTES / WORKING_BYTES_PER_SAMPLE) ** 0.5) - 8
    cube, scaled_cube = _cube(2 * 2), _cube(2 + 16)
    plain_cube = _cube(2, MAX_UPLOAD_BYTES - 2**20)  # an uncompressed .nii at the upload limit
    return {
        "typical scan (512 px JPEG)": (
            "scan.jpg",
            _png(_gradient(512, "L"), format="JPEG"),
        ),
        "RGBA PNG 6324 x 6324 (40 MP, the issue's file)": (
            "rgba40.png",
            _png(Image.new("RGBA", (6324, 6324), (40, 40, 40, 255))),
        ),
        f"RGBA PNG {alpha} x {alpha}": ("rgba.png", _png(_gradient(alpha, "RGBA"))),
        f"RGB PNG {other} x {other}": ("rgb.png", _png(_gradient(other, "RGB"))),
        f"float TIFF named .png, {other} x {other}": (
            "float.png",
            _png(_gradient(other, "F"), format="TIFF", compression="tiff_adobe_deflate"),
        ),
        f"grey PNG {grey} x {grey} (the 40 MP cap)": ("grey.png", _png(_gradient(grey, "L"))),
        f"16-bit PNG {deep} x {deep}": ("deep.png", _png(_gradient(deep, "I;16"))),
        f"CMYK JPEG {other} x {other}": ("cmyk.jpg", _png(_gradient(other, "CMYK"), format="JPEG")),
        f"DICOM, one {frame} x {frame} frame": (
            "big.dcm",
            _dicom(np.asarray(_gradient(frame, "L"))[np.newaxis]),
        ),
        "DICOM, 120 frames of 512 x 512 (60 MB)": (
            "series.dcm",
            _dicom(np.full((120, 512, 512), 90, np.uint8)),
        ),
        f"NIfTI .nii.gz, {cube}^3 int16 (random)": ("cube.nii.gz", _nifti(_noise_volume(cube))),
        f"NIfTI .nii.gz, {scaled_cube}^3 int16 with a scale factor": (
            "scaled.nii.gz",
            _nifti(_noise_volume(scaled_cube), slope=0.5),
        ),
        f"NIfTI .nii, {plain_cube}^3 int16 (uncompressed)": (
            "plain.nii",
            _nifti(_noise_volume(plain_cube), compressed=False),
        ),
        "NIfTI .nii.gz, 1024 x 1024 x 128 zeros (a gzip bomb: 128 MB from 128 KB)": (
            "bomb.nii.gz",
            _nifti(np.zeros((1024, 1024, 128), np.int8)),
        ),
    }


MEASURE = r"""
import sys, time
import numpy as np
from pathlib import Path

def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
import keras
from mri_course.app.analysis import CompiledModel, analyse_scan
from mri_course.app.scan_input import ScanInputError, read_scan
from mri_course.models.shipped import SHIPPED_CNN
compiled = CompiledModel(keras.models.load_model(SHIPPED_CNN))
compiled.warm_up()
warm = read_scan(Path(sys.argv[2]).read_bytes(), "warm.jpg")
analyse_scan(compiled, warm.pixels, "gradcam", "cnn", None, None).overlay_png()
idle = status("VmRSS")
Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current size
started = time.perf_counter()
try:
    scan = read_scan(Path(sys.argv[1]).read_bytes(), Path(sys.argv[1]).name)
    analyse_scan(compiled, scan.pixels, "gradcam", "cnn", None, None).overlay_png()
    outcome = "accepted"
except ScanInputError as error:
    outcome = "refused: " + str(error).split(": ", 1)[-1][:110]
print(status("VmHWM") - idle, time.perf_counter() - started, outcome, sep="\t")
"""


def measure(path: Path, warm: Path) -> tuple[int, float, str]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(warm)],
        capture_output=True,
        text=True,
        check=True,
    )
    peak, seconds, outcome = done.stdout.strip().splitlines()[-1].split("\t")
    return int(peak), float(seconds), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/upload_memory")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        made = files()
        paths = {}
        for kind, (name, data) in made.items():
            paths[kind] = Path(folder) / name
            paths[kind].write_bytes(data)
        warm = paths["typical scan (512 px JPEG)"]
        for kind, path in paths.items():
            size = path.stat().st_size
            peak, seconds, outcome = measure(path, warm)
            total = peak + (2 * size if size <= MAX_UPLOAD_BYTES else 0)
            rows.append(
                {
                    "kind": kind,
                    "file_mb": size / MB,
                    "peak_above_idle_mb": peak / MB,
                    "with_streamlit_copies_mb": total / MB,
                    "seconds": seconds,
                    "outcome": outcome,
                }
            )
            print(f"{kind}: {size / MB:.1f} MB file, +{peak / MB:.0f} MB, {outcome}", flush=True)
    accepted = [row for row in rows if row["outcome"] == "accepted"]
    worst = max(accepted, key=lambda row: row["with_streamlit_copies_mb"])
    report = {
        "budget": {
            "max_upload_mb": MAX_UPLOAD_BYTES / MB,
            "max_decoded_mb": MAX_DECODED_BYTES / MB,
            "target_mb": TARGET_MB,
        },
        "rows": rows,
        "worst_accepted": worst,
    }
    lines = [
        "# Memory per upload: measured",
        "",
        "Produced by `python benchmarks/upload_memory.py`. Each file is read and analysed "
        "(shipped CNN, Grad-CAM, overlay PNG) in a fresh process after a warm-up; the peak "
        "resident memory above that idle state is measured. Streamlit keeps the upload and "
        "`getvalue()` copies it: the last column adds twice the file's size. Budget: uploads "
        f"up to {MAX_UPLOAD_BYTES / MB:.0f} MB, decoding up to {MAX_DECODED_BYTES / MB:.0f} "
        f"MB (from the header, before decoding). Target: under {TARGET_MB} MB.",
        "",
        "| file | size (MB) | peak above idle (MB) | with Streamlit's copies (MB) | s | outcome |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['kind']} | {row['file_mb']:.1f} | {row['peak_above_idle_mb']:.0f} | "
            f"{row['with_streamlit_copies_mb']:.0f} | {row['seconds']:.1f} | {row['outcome']} |"
        )
    lines += [
        "",
        f"Worst accepted file: **{worst['kind']}**, {worst['with_streamlit_copies_mb']:.0f} MB "
        f"above idle with Streamlit's copies (target {TARGET_MB} MB).",
    ]
    atomic_write_text(Path(f"{args.out}.md"), "\n".join(lines) + "\n")
    atomic_write_text(Path(f"{args.out}.json"), json.dumps(report, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
