"""What each agent runtime needs to work inside a bottle, written once per runtime.

The container itself only keeps running (``tini -- sleep infinity``) so that the bottle's
lifecycle does not depend on the agent's; ``bb attach`` (interactive) and ``bb run``
(unattended) start the runtime inside it with ``docker exec``. The host writes the agent's
instructions (the manifest body) and the MCP configuration that points at supervise into
``/etc/bot-bottle/agent/`` (read-only in the agent). A custom ``command`` runtime is the
container's command instead.

Each runtime's command first seeds its own configuration in the agent's home, only where
the file does not exist yet (the agent may change its own settings; a resumed bottle keeps
them), then ``exec``\\ s the CLI:

* **claude**: ``~/.claude.json`` with onboarding done and the placeholder key approved
  (no login or "use this key?" screen), ``~/.claude/settings.json`` with permission
  prompts off (the bottle is the sandbox; Claude Code allows this as non-root, and the
  agent runs as uid 1000); the image sets ``DISABLE_AUTOUPDATER`` and
  ``CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC``, and they are set again on the command.
  Unattended: ``claude -p PROMPT --mcp-config ... --dangerously-skip-permissions``.
* **codex**: ``~/.codex/config.toml`` with supervise as a streamable-HTTP MCP server,
  approvals and Codex's own sandbox off (its bubblewrap sandbox cannot create namespaces
  in a container without capabilities), no update check, ``/workspace`` trusted;
  ``~/.codex/auth.json`` holds the placeholder key, so no login picker appears (the proxy
  replaces it with the real key); ``~/.codex/AGENTS.md`` holds the instructions; a bottle
  env ``OPENAI_BASE_URL`` becomes ``openai_base_url`` (Claude Code reads
  ``ANTHROPIC_BASE_URL`` from the environment itself).
  Unattended: ``codex exec --dangerously-bypass-approvals-and-sandbox PROMPT``.
"""

from __future__ import annotations

import json
import shlex
from typing import Final, Literal

from bb_protocol.layout import AGENT_DIR, AGENT_INSTRUCTIONS, AGENT_MCP_CONFIG, WORKSPACE

__all__ = [
    "AGENT_DIR",
    "INSTRUCTIONS",
    "MCP_CONFIG",
    "PLACEHOLDER_KEY",
    "agent_image_component",
    "attach_command",
    "run_command",
    "seed_files",
]

INSTRUCTIONS: Final = AGENT_INSTRUCTIONS
"""Where the agent reads the operator's instructions (`bb_protocol.layout`)."""
MCP_CONFIG: Final = AGENT_MCP_CONFIG
"""Where the agent reads its MCP configuration (`bb_protocol.layout`)."""
MCP_SERVER_NAME: Final = "bot-bottle"
"""The supervise server's name in every runtime's MCP configuration."""

PLACEHOLDER_KEY: Final = "bot-bottle-placeholder-the-proxy-injects-the-real-key"
"""What the agent holds instead of an API key; the proxy injects the real one."""

_QUIET_ENV: Final = {
    "claude": {"DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"},
    "codex": {},
}


def agent_image_component(runtime: str) -> Literal["agent", "agent-claude", "agent-codex"]:
    """The image a runtime needs: its CLI's image for claude/codex, else the plain agent."""
    if runtime == "claude":
        return "agent-claude"
    if runtime == "codex":
        return "agent-codex"
    return "agent"


def seed_files(runtime: str, supervise_url: str | None) -> dict[str, str]:
    """Files (relative to ``$HOME``) the runtime needs before it starts; contents are public."""
    if runtime == "claude":
        state = {
            "hasCompletedOnboarding": True,
            "bypassPermissionsModeAccepted": True,
            "autoUpdates": False,
            "customApiKeyResponses": {"approved": [PLACEHOLDER_KEY[-20:]], "rejected": []},
            "projects": {WORKSPACE: {"hasTrustDialogAccepted": True}},
        }
        settings = {
            # No "make auto mode your default?" dialog either: an attached session must
            # start at the prompt (the bottle, not a classifier, is the boundary).
            "permissions": {"defaultMode": "bypassPermissions", "disableAutoMode": "disable"},
            "disableAutoMode": "disable",
            "skipDangerousModePermissionPrompt": True,
            "autoUpdates": False,
            "env": dict(_QUIET_ENV["claude"]),
        }
        return {
            ".claude.json": json.dumps(state, indent=2) + "\n",
            ".claude/settings.json": json.dumps(settings, indent=2) + "\n",
        }
    if runtime == "codex":
        lines = [
            "# Written by bot-bottle: the bottle is the sandbox, the proxy holds the key.",
            'approval_policy = "never"',
            'sandbox_mode = "danger-full-access"',
            "check_for_update_on_startup = false",
            "",
            f'[projects."{WORKSPACE}"]',
            'trust_level = "trusted"',
        ]
        if supervise_url:
            lines += ["", f"[mcp_servers.{MCP_SERVER_NAME}]", f"url = {json.dumps(supervise_url)}"]
        auth = {"auth_mode": "apikey", "OPENAI_API_KEY": PLACEHOLDER_KEY}
        return {
            ".codex/config.toml": "\n".join(lines) + "\n",
            ".codex/auth.json": json.dumps(auth, indent=2) + "\n",
        }
    return {}


def _seed_script(runtime: str, supervise_url: str | None) -> str:
    """Shell lines that write each seed file unless it already exists."""
    out: list[str] = []
    for relative, text in seed_files(runtime, supervise_url).items():
        path = f'"$HOME"/{shlex.quote(relative)}'
        parent = relative.rsplit("/", 1)[0] if "/" in relative else ""
        if parent:
            out.append(f'mkdir -p "$HOME"/{shlex.quote(parent)}')
        out.append(f"[ -e {path} ] || printf %s {shlex.quote(text)} > {path}")
    if runtime == "codex":
        out.append(f'[ -e "$HOME/.codex/AGENTS.md" ] || cp {INSTRUCTIONS} "$HOME/.codex/AGENTS.md"')
        # A custom endpoint (company gateway, LiteLLM, vLLM): the bottle's env sets
        # OPENAI_BASE_URL and Codex reads it as openai_base_url (a top-level key, so first).
        config = '"$HOME/.codex/config.toml"'
        out.append(
            f'if [ -n "$OPENAI_BASE_URL" ] && ! grep -q "^openai_base_url" {config}; then'
            f' sed -i "1i openai_base_url = \\"$OPENAI_BASE_URL\\"" {config}; fi'
        )
    for name, value in _QUIET_ENV.get(runtime, {}).items():
        out.append(f"export {name}={shlex.quote(value)}")
    return "\n".join(out)


def attach_command(runtime: str, supervise_url: str | None) -> list[str]:
    """The argv ``bb attach`` runs in the agent container for ``runtime`` (interactive)."""
    seed = _seed_script(runtime, supervise_url)
    if runtime == "claude":
        mcp = f"--mcp-config {MCP_CONFIG} " if supervise_url else ""
        script = f'{seed}\nexec claude {mcp}--append-system-prompt "$(cat {INSTRUCTIONS})"'
        return ["sh", "-c", script]
    if runtime == "codex":
        # --no-daemon: the TUI otherwise wants the full npm package layout for its server.
        script = f"{seed}\nexec codex --no-daemon --dangerously-bypass-approvals-and-sandbox"
        return ["sh", "-c", script]
    return ["bash", "-l"]


def run_command(runtime: str, supervise_url: str | None, prompt: str) -> list[str]:
    """The argv ``bb run`` executes: the runtime unattended on ``prompt``, output to stdout.

    The prompt travels as a positional argument (``$1``), never spliced into the script.
    """
    seed = _seed_script(runtime, supervise_url)
    if runtime == "claude":
        mcp = f"--mcp-config {MCP_CONFIG} " if supervise_url else ""
        script = (
            f'{seed}\ncd /workspace\nexec claude -p "$1" {mcp}--dangerously-skip-permissions '
            f'--append-system-prompt "$(cat {INSTRUCTIONS})" </dev/null'
        )
        return ["sh", "-c", script, "bb-run", prompt]
    if runtime == "codex":
        script = (
            f"{seed}\nexec codex exec --dangerously-bypass-approvals-and-sandbox "
            '--skip-git-repo-check -C /workspace "$1" </dev/null'
        )
        return ["sh", "-c", script, "bb-run", prompt]
    if runtime == "shell":
        return ["bash", "-lc", prompt]
    raise ValueError(f"runtime {runtime!r} has no unattended mode; use `bb exec` for it")
