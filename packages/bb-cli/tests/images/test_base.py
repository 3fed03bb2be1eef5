"""The Debian base step cannot hang, never starts without an engine, and leaves no temp files."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from bb_cli.images import base
from bb_cli.images.errors import BaseImageError, ImageBuildError
from bb_cli.images.progress import RecordingReporter
from bb_cli.procs import run_streaming


@pytest.fixture
def engine_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """DOCKER_HOST points at a refused loopback port."""
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")


@pytest.fixture
def own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary directories are made under tmp_path, so leftovers can be counted."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_without_an_engine_nothing_is_pulled_or_made(
    engine_down: None, tmp_path: Path, own_tmp: Path
) -> None:
    """Engine down: a `BaseImageError` naming `bb doctor`, no pull, no debootstrap, no files."""
    reporter = RecordingReporter()
    with pytest.raises(BaseImageError, match="bb doctor"):
        base.ensure_base_image(reporter, tmp_path / "logs")
    assert not any("pulling" in e or "debootstrap" in e for e in map(str, reporter.events))
    assert list(own_tmp.iterdir()) == []


def test_the_import_fails_fast_when_docker_exits_early(engine_down: None, tmp_path: Path) -> None:
    """`docker import` failing at once does not leave tar blocked on a full pipe (the hang)."""
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    (rootfs / "big").write_bytes(os.urandom(4 << 20))  # more than a pipe buffer
    with pytest.raises(BaseImageError, match="docker import failed"):
        base.import_rootfs(rootfs, "bb-test-never:0", timeout=60)


def test_a_step_past_its_deadline_is_killed_with_its_children(tmp_path: Path) -> None:
    """run_streaming's timeout kills the whole process group and says which step and log."""
    with pytest.raises(ImageBuildError, match="did not finish within 1s"):
        run_streaming(
            ["sh", "-c", "sleep 60 & sleep 60"],
            log_path=tmp_path / "x.log",
            on_line=lambda _: None,
            step="sleepy",
            timeout=1,
            error=ImageBuildError,
        )


def test_a_step_reads_no_terminal(tmp_path: Path) -> None:
    """stdin is /dev/null: a prompt gets EOF instead of waiting for a person."""
    lines: list[str] = []
    run_streaming(
        ["sh", "-c", "read x || echo eof"],
        log_path=tmp_path / "x.log",
        on_line=lines.append,
        step="read",
        timeout=30,
    )
    assert lines == ["eof"]


@pytest.mark.skipif(
    shutil.which("debootstrap") is None or os.geteuid() != 0, reason="needs debootstrap as root"
)
def test_a_failed_debootstrap_leaves_no_root_filesystem(tmp_path: Path, own_tmp: Path) -> None:
    """A mirror that refuses (loopback, closed port): the error, and the temp tree is gone."""
    with pytest.raises(ImageBuildError, match="debootstrap"):
        base._debootstrap(RecordingReporter(), tmp_path / "logs", "http://127.0.0.1:1/debian")
    assert list(own_tmp.iterdir()) == []


@pytest.mark.skipif(
    shutil.which("debootstrap") is None or os.geteuid() != 0, reason="needs debootstrap as root"
)
def test_sigterm_during_debootstrap_removes_the_root_filesystem(tmp_path: Path) -> None:
    """Killed (SIGTERM) while the mirror hangs: debootstrap's group is killed and the
    temporary tree removed, no 83 MB left behind (issue 15). SIGKILL cannot be handled."""
    import signal
    import socket
    import subprocess
    import sys

    import anyio

    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    script = (
        "import sys, tempfile; tempfile.tempdir = sys.argv[1]\n"
        "from pathlib import Path\n"
        "from bb_cli.images import base\n"
        "from bb_cli.images.progress import RecordingReporter\n"
        "base._debootstrap(RecordingReporter(), Path(sys.argv[1]).parent / 'logs', sys.argv[2])\n"
    )
    with socket.socket() as silent:  # accepts connections (kernel backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        mirror = f"http://127.0.0.1:{silent.getsockname()[1]}/debian"
        child = subprocess.Popen(
            [sys.executable, "-c", script, str(own_tmp), mirror],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

        async def started() -> None:
            with anyio.fail_after(60):
                while not list(own_tmp.glob("bb-rootfs-*/rootfs")):
                    await anyio.sleep(0.05)

        anyio.run(started)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
    assert child.returncode != 0
    assert b"stopped by SIGTERM" in err
    assert list(own_tmp.iterdir()) == []


def test_a_present_base_image_is_used_as_it_is(fake_engine: Any, tmp_path: Path) -> None:
    """The engine already has it: its id, and nothing pulled, imported or built."""
    fake_engine.images[base.BASE_IMAGE] = {}
    reporter = RecordingReporter()
    found = base.ensure_base_image(reporter, tmp_path / "logs", engine=fake_engine)
    assert found == fake_engine.image_id(base.BASE_IMAGE)
    assert reporter.events == []
    assert [c for c in fake_engine.calls if c[0] != "problem"] == []


def test_an_engine_that_does_not_answer_stops_the_base_step_first(
    fake_engine: Any, tmp_path: Path
) -> None:
    """`problem()` is asked first; its answer is the error, with `bb doctor`."""
    fake_engine.down = "cannot reach the Docker engine at tcp://x: refused"
    with pytest.raises(BaseImageError, match=r"cannot reach the Docker engine.*bb doctor"):
        base.ensure_base_image(RecordingReporter(), tmp_path / "logs", engine=fake_engine)
    assert fake_engine.calls == [("problem", ())]
