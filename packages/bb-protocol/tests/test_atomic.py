"""`bb_protocol.atomic`: the one durable, all-or-nothing file write."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bb_protocol import atomic
from bb_protocol.atomic import write_atomic, write_fsynced


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_creates_the_file_with_text_as_utf8(tmp_path):
    """A str is written as UTF-8."""
    target = tmp_path / "routes.yaml"
    write_atomic(target, "host: café\n")
    assert target.read_bytes() == "host: café\n".encode()


def test_write_atomic_replaces_an_existing_file_and_leaves_no_temporary_file(tmp_path):
    """The old content is replaced whole; only the target remains in the directory."""
    target = tmp_path / "bottle.json"
    target.write_text("old")
    write_atomic(target, b"new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["bottle.json"]


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o640])
def test_write_atomic_sets_the_mode_exactly_whatever_the_umask(tmp_path, mode):
    """A restrictive umask does not narrow the mode another uid relies on."""
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "f", b"x", mode=mode)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "f") == mode


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    """A crash between write and rename (simulated) changes nothing visible."""
    target = tmp_path / "gate.yaml"
    target.write_text("old")

    def fail(src: object, dst: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk gone"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["gate.yaml"]


def test_write_atomic_fsyncs_the_file_and_then_its_directory(tmp_path, monkeypatch):
    """Both the data and the rename are made durable (file first, directory last)."""
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", spy)
    write_atomic(tmp_path / "compose.yaml", "x")
    assert synced == ["file", "dir"]


def test_write_fsynced_refuses_to_overwrite(tmp_path):
    """The primitive creates only: the queue's publish protocol depends on it."""
    (tmp_path / "taken").write_text("x")
    with pytest.raises(FileExistsError):
        write_fsynced(tmp_path / "taken", b"y", 0o644)
