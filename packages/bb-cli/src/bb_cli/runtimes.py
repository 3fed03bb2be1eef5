"""What each agent runtime runs when the operator attaches, and what it is told.

The container itself only keeps running (``tini -- sleep infinity``) so that the bottle's
lifecycle does not depend on the agent's; ``bb attach`` starts the runtime inside it. The
host writes the agent's instructions (the manifest body) and the MCP configuration that
points at supervise into ``/etc/bot-bottle/agent/`` (read-only in the agent).
A custom ``command`` runtime is the container's command instead.
"""

from __future__ import annotations

from typing import Final

__all__ = ["AGENT_DIR", "INSTRUCTIONS", "MCP_CONFIG", "attach_command"]

AGENT_DIR: Final = "/etc/bot-bottle/agent"
INSTRUCTIONS: Final = f"{AGENT_DIR}/instructions.md"
MCP_CONFIG: Final = f"{AGENT_DIR}/mcp.json"


def attach_command(runtime: str, supervise_url: str | None) -> list[str]:
    """The argv ``bb attach`` runs in the agent container for ``runtime``."""
    if runtime == "claude":
        mcp = f"--mcp-config {MCP_CONFIG} " if supervise_url else ""
        return ["sh", "-c",
                f'exec claude {mcp}--append-system-prompt "$(cat {INSTRUCTIONS})"']  # fmt: skip
    if runtime == "codex":
        mcp = f"-c 'mcp_servers.bot-bottle.url=\"{supervise_url}\"' " if supervise_url else ""
        return ["sh", "-c", f'exec codex {mcp}"$(cat {INSTRUCTIONS})"']
    return ["bash", "-l"]
