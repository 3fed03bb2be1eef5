"""Where things are inside a bottle: service names, ports and mount points, in one place.

These facts cross a container boundary: the launcher (bb-cli) renders them into the compose
file (mounts, environment, health checks, URLs the agent is given), and the sidecars default
to them when a flag or variable is absent. A path that the CLI mounts and a sidecar opens
must be the same string on both sides, so both sides import it from here. The images'
Dockerfiles cannot import Python: the directories and ports they bake in (``install -d``,
``EXPOSE``) are checked against these constants by ``packages/bb-cli/tests/images/
test_dockerfile_layout.py``.

The host side of the same mounts (``<bottle dir>/queue``, ``routes/routes.yaml``...) is
`bb_protocol.paths`.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AGENT_CA",
    "AGENT_CA_DIR",
    "AGENT_DIR",
    "AGENT_HOME",
    "AGENT_INSTRUCTIONS",
    "AGENT_MCP_CONFIG",
    "AGENT_SOURCE_DIR",
    "APPROVAL_KEY_FILE",
    "EGRESS_AUDIT_LOG",
    "EGRESS_CONFDIR",
    "EGRESS_HOST",
    "EGRESS_INTROSPECTION_PORT",
    "EGRESS_PORT",
    "GATE_CONFIG_FILE",
    "GATE_HOST",
    "GATE_KEYS_DIR",
    "GATE_PORT",
    "GATE_STATE_DIR",
    "LISTEN_ALL",
    "LOG_DIR",
    "PROXY_URL",
    "QUEUE_DIR",
    "ROUTES_DIR",
    "ROUTES_FILE",
    "SUPERVISE_HOST",
    "SUPERVISE_PATH",
    "SUPERVISE_PORT",
    "SUPERVISE_URL",
    "WORKSPACE",
    "gate_url",
]

# ---------------------------------------------------------------- names and ports

EGRESS_HOST: Final = "egress"
"""The egress proxy's name on the bottle's internal network."""
EGRESS_PORT: Final = 8080
"""Where the egress proxy listens (the agent's ``HTTPS_PROXY``)."""
EGRESS_INTROSPECTION_PORT: Final = 8081
"""The egress routes endpoint, when enabled (token-guarded, internal network only)."""
SUPERVISE_HOST: Final = "supervise"
"""The supervise MCP server's name on the internal network."""
SUPERVISE_PORT: Final = 8090
"""Where the supervise MCP server listens."""
SUPERVISE_PATH: Final = "/mcp"
"""The MCP endpoint's path (streamable HTTP)."""
GATE_HOST: Final = "git-gate"
"""The git gate's name on the internal network: the host of every remote the agent has."""
GATE_PORT: Final = 8070
"""Where the git gate serves git smart HTTP."""
LISTEN_ALL: Final = "0.0.0.0"  # noqa: S104 - sidecars listen on their internal network only
"""Sidecars bind every address of their container: only the bottle's networks reach it."""

PROXY_URL: Final = f"http://{EGRESS_HOST}:{EGRESS_PORT}"
"""The agent's proxy URL."""
SUPERVISE_URL: Final = f"http://{SUPERVISE_HOST}:{SUPERVISE_PORT}{SUPERVISE_PATH}"
"""The agent's MCP server URL."""


def gate_url(repo: str) -> str:
    """The URL the agent clones and pushes ``repo`` through (the gate, never the forge)."""
    return f"http://{GATE_HOST}:{GATE_PORT}/{repo}.git"


# ---------------------------------------------------------------- mount points

QUEUE_DIR: Final = "/var/lib/bot-bottle/queue"
"""The approval queue volume, in every sidecar that reads or writes proposals."""
APPROVAL_KEY_FILE: Final = "/etc/bot-bottle/approval/approval.key"
"""The bottle's approval key (read-only), in every sidecar that verifies decisions."""
ROUTES_DIR: Final = "/etc/bot-bottle/routes"
"""The directory holding the routes file (mounted whole, so a rename on the host is seen)."""
ROUTES_FILE: Final = f"{ROUTES_DIR}/routes.yaml"
"""The routes file egress enforces and supervise lists."""
EGRESS_CONFDIR: Final = "/var/lib/bot-bottle/mitmproxy"
"""mitmproxy's confdir: the bottle CA's key lives here, on a tmpfs only egress reads."""
AGENT_CA_DIR: Final = "/etc/bot-bottle/ca"
"""The volume egress exports its CA certificate into; the agent mounts it read-only."""
AGENT_CA: Final = f"{AGENT_CA_DIR}/ca.pem"
"""The bottle CA's public certificate, as the agent (and egress's health check) sees it."""
AGENT_DIR: Final = "/etc/bot-bottle/agent"
"""The agent's instructions and MCP configuration (a volume egress fills, read-only to it)."""
AGENT_INSTRUCTIONS: Final = f"{AGENT_DIR}/instructions.md"
"""The operator's instructions for the agent."""
AGENT_MCP_CONFIG: Final = f"{AGENT_DIR}/mcp.json"
"""The agent's MCP server configuration."""
AGENT_SOURCE_DIR: Final = "/run/bot-bottle/agent-src"
"""Where egress reads the host's agent files, to publish them into `AGENT_DIR`."""
LOG_DIR: Final = "/var/log/bot-bottle"
"""Egress's log directory (the bottle's host ``logs/``)."""
EGRESS_AUDIT_LOG: Final = f"{LOG_DIR}/egress-audit.jsonl"
"""Egress's audit log (`bb_protocol.paths.egress_audit_file` on the host)."""
GATE_CONFIG_FILE: Final = "/etc/bb-gitgate/gate.yaml"
"""The gate's config (`bb_protocol.gitgate.GateConfig`), written by the host."""
GATE_STATE_DIR: Final = "/var/lib/bot-bottle/gitgate"
"""The gate's own state: mirrors, hooks, its audit log."""
GATE_KEYS_DIR: Final = "/run/bb/repos"
"""Per-repo deploy keys and known_hosts (read-only): ``<dir>/<repo>/deploy_key``."""
WORKSPACE: Final = "/workspace"
"""The agent's working tree volume; repos are cloned into ``/workspace/<name>``."""
AGENT_HOME: Final = "/home/agent"
"""The agent's home volume."""
