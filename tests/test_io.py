"""Atomic writes: the new file whole, or the old one untouched; usual permissions."""

import os
import stat

import pytest

from mri_course.io import atomic_write_bytes, atomic_write_text, temporary_beside


def test_an_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "deep" / "report.json"
    atomic_write_text(path, "first")
    atomic_write_text(path, "second")
    assert path.read_text() == "second"
    assert [p.name for p in path.parent.iterdir()] == ["report.json"], "no temporary left"


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.bin"
    atomic_write_bytes(path, b"good")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_saved_files_get_the_permissions_of_any_new_file(tmp_path, umask):
    old = os.umask(umask)
    try:
        written = atomic_write_text(tmp_path / "card.json", "{}")
        staged = temporary_beside(tmp_path / "model.keras")
    finally:
        os.umask(old)
    for path in (written, staged):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name
