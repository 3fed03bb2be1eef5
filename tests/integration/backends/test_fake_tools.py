"""The fakes behave as their tools are documented to (see each fake's docstring)."""

from __future__ import annotations

import fcntl
import json
import subprocess
from pathlib import Path
from typing import IO

import pytest

from bb_testkit.fakes import install_fake

Done = subprocess.CompletedProcess[str]


def run(tool: Path, *args: str, stdout: IO[str] | int = subprocess.PIPE) -> Done:
    """Run the fake as a user would: stderr captured, stdout a pipe unless given."""
    return subprocess.run(
        [str(tool), *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def container(tmp_path: Path) -> Path:
    tool = install_fake(tmp_path / "bin", "container", tmp_path / "state")
    assert run(tool, "network", "create", "n").returncode == 0
    return tool


@pytest.fixture
def smolvm(tmp_path: Path) -> Path:
    tool = install_fake(tmp_path / "bin", "smolvm", tmp_path / "state")
    assert run(tool, "machine", "create", "vm", "--image", "alpine").returncode == 0
    assert run(tool, "machine", "start", "--name", "vm").returncode == 0
    return tool


def test_container_removes_a_stopped_rm_container(container: Path) -> None:
    """``--rm``: once stopped, ``ls --all`` no longer lists the container."""
    assert (
        run(container, "run", "-d", "--rm", "--name", "c", "--network", "n", "img").returncode == 0
    )
    assert run(container, "stop", "c").returncode == 0
    assert json.loads(run(container, "ls", "--all", "--format", "json").stdout) == []


def test_container_rejects_an_unknown_option_as_a_usage_error(container: Path) -> None:
    """A Docker-only flag (``--cap-drop``) is exit 64, "Unknown option"."""
    done = run(container, "run", "--cap-drop", "ALL", "img")
    assert done.returncode == 64
    assert "Unknown option '--cap-drop'" in done.stderr


def test_container_exec_into_a_missing_container_fails(container: Path) -> None:
    """``exec`` needs a running container."""
    assert run(container, "exec", "nope", "true").returncode == 1


def test_smolvm_exec_with_stdout_to_a_file_fails_silently(smolvm: Path, tmp_path: Path) -> None:
    """Non-pipe stdout: exit 1 and nothing on stderr (the behaviour the backend must handle)."""
    with (tmp_path / "out").open("w") as out:
        done = run(smolvm, "machine", "exec", "--name", "vm", "--", "true", stdout=out)
    assert (done.returncode, done.stderr) == (1, "")


def test_smolvm_exec_with_stdout_to_a_pipe_works(smolvm: Path) -> None:
    """Through a pipe, exec runs and returns the command's status."""
    done = run(smolvm, "machine", "exec", "--name", "vm", "--", "sh", "-c", "echo hi; exit 3")
    assert (done.returncode, done.stdout) == (3, "hi\n")


def test_smolvm_has_no_concurrent_exec(smolvm: Path, tmp_path: Path) -> None:
    """While one exec holds the channel, another fails silently."""
    with (tmp_path / "state" / "vm.exec.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = run(smolvm, "machine", "exec", "--name", "vm", "--", "true")
    assert (done.returncode, done.stderr) == (1, "")


def test_smolvm_cp_to_an_unknown_machine_is_not_found(smolvm: Path, tmp_path: Path) -> None:
    """``machine cp`` names the missing machine."""
    (tmp_path / "f").write_text("x")
    done = run(smolvm, "machine", "cp", str(tmp_path / "f"), "ghost:/f")
    assert done.returncode == 1
    assert "not found" in done.stderr


def test_smolvm_pack_create_needs_a_registry_reference(smolvm: Path, tmp_path: Path) -> None:
    """``pack create --image`` pulls: a bare local image name fails; a registry one packs."""
    assert run(smolvm, "pack", "create", "--image", "snap:1", "-o", str(tmp_path / "p")).returncode
    ok = run(
        smolvm, "pack", "create", "--image", "127.0.0.1:5000/snap:1", "-o", str(tmp_path / "p")
    )
    assert ok.returncode == 0
    assert (tmp_path / "p.smolmachine").is_file()
