"""The backend contract: every backend behaves the same through `BottleBackend`.

Run against Docker Compose for real, and against Apple ``container`` and ``smolvm``
through their fakes (`bb_testkit.fakes`); the smolvm backend's sidecars are real Docker
containers even then. Tests run in file order on one bottle per backend; the lifecycle
test comes last.
"""

from __future__ import annotations

import contextlib
import os
import pty

import pytest
from tests.integration.backends.conftest import Harness

from bb_cli.applicator import EgressApplicator
from bb_protocol.queue import EgressAllowRequest
from bb_protocol.routes import Route

BACKENDS = [
    pytest.param("compose", marks=pytest.mark.docker, id="compose"),
    pytest.param("apple-container", id="apple-container-fake"),
    pytest.param("smolvm", marks=pytest.mark.docker, id="smolvm-fake"),
]
pytestmark = pytest.mark.parametrize("harness", BACKENDS, indirect=True)


def test_a_started_bottle_is_running_with_its_agent(harness: Harness) -> None:
    """After start, status says running and lists the agent and the egress proxy."""
    status = harness.backend.status(harness.plan.slug)
    assert status.state == "running"
    assert status.containers["agent"] == "running"
    assert status.containers["egress"] == "running"


@pytest.mark.parametrize(("script", "code"), [("true", 0), ("exit 7", 7)])
def test_exec_returns_the_commands_exit_code(harness: Harness, script: str, code: int) -> None:
    """``exec`` runs in the agent and returns what the command exited with."""
    assert harness.backend.exec(harness.plan.slug, ["sh", "-c", script], tty=False) == code


def test_exec_output_reaches_stdout(harness: Harness, capfd: pytest.CaptureFixture[str]) -> None:
    """A command's output comes out, even though stdout here is not a terminal."""
    assert harness.backend.exec(harness.plan.slug, ["echo", "contract-ok"], tty=False) == 0
    assert "contract-ok" in capfd.readouterr().out


def test_attach_gives_the_runtime_a_terminal(harness: Harness) -> None:
    """``attach`` runs the command with a terminal on stdout and returns its exit code."""
    pid, fd = pty.fork()
    if pid == 0:  # child: stdin/stdout/stderr are the pty; never returns into pytest
        code = 99
        try:
            code = harness.backend.attach(harness.plan.slug, ["sh", "-c", "test -t 1 && exit 5"])
        finally:
            os._exit(code)
    with contextlib.suppress(OSError):  # EIO once the child closes the pty
        while os.read(fd, 4096):
            pass
    os.close(fd)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 5


def test_the_proxy_can_be_told_to_reload(harness: Harness) -> None:
    """The backend's reload signal reaches the running egress proxy without error."""
    harness.backend.reload_signal(harness.plan.slug).reload()


def test_egress_logs_can_be_read(harness: Harness, capfd: pytest.CaptureFixture[str]) -> None:
    """``logs`` of the egress component succeeds."""
    assert harness.backend.logs(harness.plan.slug, ["egress"], follow=False) == 0
    capfd.readouterr()


def test_an_approved_route_is_applied_live_through_the_backends_signal(harness: Harness) -> None:
    """One `EgressApplicator` for all: the routes file changes, the backend signals the proxy."""
    routes = harness.plan.state_dir / "routes" / "routes.yaml"
    applicator = EgressApplicator(routes, harness.backend.reload_signal(harness.plan.slug))
    applicator.apply(EgressAllowRequest(route=Route(host="contract.example")))
    assert "contract.example" in routes.read_text()
    assert harness.backend.status(harness.plan.slug).state == "running"


def test_stop_then_start_then_remove(harness: Harness) -> None:
    """Stopped is ``stopped``, a second start runs again, removed is ``absent``."""
    slug = harness.plan.slug
    harness.backend.stop(slug)
    assert harness.backend.status(slug).state == "stopped"
    harness.backend.start(harness.plan, lambda step, state: None)
    assert harness.backend.status(slug).state == "running"
    harness.backend.remove(slug)
    assert harness.backend.status(slug).state in ("absent", "stopped")
    assert "agent" not in harness.backend.status(slug).containers
