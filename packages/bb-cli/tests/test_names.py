"""`bb_cli.names`: the bottle's engine names, built once and found again by the same names."""

from __future__ import annotations

from bb_cli.applicator.reload import DockerReloadSignal
from bb_cli.backends.apple_container import translate
from bb_cli.engine import ContainerSummary
from bb_cli.names import agent_container, project_name, sidecar_container


def test_the_names_of_a_bottle() -> None:
    """Project ``bb-<slug>``, agent ``bot-bottle-<slug>``, its watchdog with ``-watchdog``."""
    assert project_name("shell-abc123") == "bb-shell-abc123"
    assert agent_container("shell-abc123") == "bot-bottle-shell-abc123"
    assert sidecar_container("shell-abc123", "watchdog") == "bot-bottle-shell-abc123-watchdog"


def test_the_reload_signal_finds_egress_in_the_project_the_compose_backend_names(
    fake_engine,
) -> None:
    """`bb queue`'s SIGHUP goes to the egress container labelled with the bottle's project."""
    labels = {"com.docker.compose.project": project_name("b-1")}
    service = "com.docker.compose.service"
    other = {"com.docker.compose.project": "bb-other", service: "egress"}
    fake_engine.containers_by_id = {
        "e1": ContainerSummary("e1", "x", "running", {**labels, service: "egress"}),
        "a1": ContainerSummary("a1", "y", "running", {**labels, service: "agent"}),
        "o1": ContainerSummary("o1", "z", "running", other),
    }
    DockerReloadSignal(slug="b-1", engine=fake_engine).reload()
    assert ("kill", ("e1", "HUP")) in fake_engine.calls


def test_the_apple_backend_uses_the_same_project_and_agent_names() -> None:
    """Its network, sidecars and volumes carry the project prefix; the agent its name."""
    assert translate.network_name("b-1") == project_name("b-1")
    assert translate.service_name("b-1", "egress") == "bb-b-1-egress"
    assert translate.volume_name("b-1", "home") == "bb-b-1-home"
    assert translate.agent_name("b-1") == agent_container("b-1")
