"""`bb_protocol.layout`: the in-container facts both sides of a mount or a socket import."""

from __future__ import annotations

import pytest

from bb_protocol import layout


def test_the_agents_urls_are_built_from_the_service_names_and_ports() -> None:
    """The URLs the agent is given name the internal hosts and the sidecars' ports."""
    assert layout.PROXY_URL == "http://egress:8080"
    assert layout.SUPERVISE_URL == "http://supervise:8090/mcp"
    assert layout.gate_url("app") == "http://git-gate:8070/app.git"


def test_the_sidecar_ports_are_distinct() -> None:
    """Egress, its introspection endpoint, supervise and the gate never share a port."""
    ports = [
        layout.EGRESS_PORT,
        layout.EGRESS_INTROSPECTION_PORT,
        layout.SUPERVISE_PORT,
        layout.GATE_PORT,
    ]
    assert len(set(ports)) == len(ports)


@pytest.mark.parametrize("name", [n for n in layout.__all__ if n.isupper() and "PORT" not in n])
def test_every_path_constant_is_absolute(name: str) -> None:
    """Mount points are absolute container paths (URLs and hosts aside)."""
    value = getattr(layout, name)
    if name.endswith(("_URL", "_HOST")) or name == "LISTEN_ALL":
        return
    assert isinstance(value, str)
    assert value.startswith("/"), name


def test_files_live_in_their_directories() -> None:
    """A file constant is inside the directory constant mounted for it."""
    assert layout.ROUTES_FILE.startswith(layout.ROUTES_DIR + "/")
    assert layout.AGENT_CA.startswith(layout.AGENT_CA_DIR + "/")
    assert layout.AGENT_MCP_CONFIG.startswith(layout.AGENT_DIR + "/")
    assert layout.AGENT_INSTRUCTIONS.startswith(layout.AGENT_DIR + "/")
    assert layout.EGRESS_AUDIT_LOG.startswith(layout.LOG_DIR + "/")
