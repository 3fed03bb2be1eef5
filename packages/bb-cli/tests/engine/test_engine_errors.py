"""The Docker seam without an engine: errors that say so (exit 4), and nothing heavy imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bb_cli.engine import (
    DockerCommandError,
    DockerEngine,
    DockerNotFoundError,
    DockerUnreachableError,
    command_error,
)
from bb_cli.errors import BackendError, EngineUnreachableError

DOWN = ("unix:///nonexistent.sock", "tcp://127.0.0.1:1")
"""No socket, and a refused TCP port on loopback."""


def test_importing_the_seam_does_not_import_the_docker_sdk() -> None:
    """`bb --help` stays light: the SDK is imported on the first engine call only."""
    code = "import sys, bb_cli.engine; print('docker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("docker_host", DOWN)
def test_an_engine_that_does_not_answer_is_a_problem_naming_the_address(
    monkeypatch: pytest.MonkeyPatch, docker_host: str
) -> None:
    """`problem()` is one line with DOCKER_HOST and why; no exception, no leaked socket."""
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    problem = DockerEngine().problem(timeout=5)
    assert problem is not None
    assert problem.startswith(f"cannot reach the Docker engine at {docker_host}: ")
    assert "\n" not in problem


@pytest.mark.parametrize("docker_host", DOWN)
@pytest.mark.parametrize(
    "call",
    [
        lambda e: e.inspect("container", "x"),
        lambda e: e.image_id("debian:trixie-slim"),
        lambda e: e.list_images("org.bot-bottle.component=egress"),
        lambda e: e.kill("x", "HUP"),
        lambda e: e.info(),
    ],
    ids=["inspect", "image_id", "list_images", "kill", "info"],
)
def test_every_sdk_call_without_an_engine_is_exit_4_with_the_doctor_advice(
    monkeypatch: pytest.MonkeyPatch, docker_host: str, call: object
) -> None:
    """No answer: `DockerUnreachableError` (an `EngineUnreachableError`, exit 4, `bb doctor`)."""
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    with pytest.raises(DockerUnreachableError) as caught:
        call(DockerEngine())  # type: ignore[operator]
    assert isinstance(caught.value, EngineUnreachableError)
    assert caught.value.exit_code == 4
    assert str(caught.value).startswith("cannot reach the Docker engine")
    assert "bb doctor" in str(caught.value)


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        (
            "Cannot connect to the Docker daemon at unix:///x. Is it running?",
            DockerUnreachableError,
        ),
        ("error during connect: Get http://...", DockerUnreachableError),
        ("Error response from daemon: No such container: x", DockerNotFoundError),
        ("Error response from daemon: conflict", DockerCommandError),
    ],
)
def test_a_failed_command_is_classified_by_what_docker_said(stderr: str, kind: type) -> None:
    """Unreachable (exit 4), missing object (a `LookupError`) or any other failure (exit 6)."""
    error = command_error(["docker", "x"], 1, stderr)
    assert type(error) is kind
    assert isinstance(error, BackendError)
    assert error.exit_code == (4 if kind is DockerUnreachableError else 6)


def test_a_missing_docker_cli_is_a_command_error_not_a_traceback() -> None:
    """A CLI call with no ``docker`` on PATH fails as exit 127, named."""
    with pytest.raises(DockerCommandError, match="not installed or not on PATH"):
        DockerEngine(binary="/nonexistent/docker").run("version")
