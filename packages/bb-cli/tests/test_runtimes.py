"""Specification of bb_cli.runtimes: what each runtime needs inside a bottle."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from bb_cli.runtimes import (
    PLACEHOLDER_KEY,
    agent_image_component,
    attach_command,
    run_command,
    seed_files,
)

SUPERVISE = "http://supervise:8090/mcp"


def test_claude_starts_without_onboarding_login_or_key_prompt() -> None:
    """Onboarding done, the placeholder key pre-approved, permission prompts off."""
    files = seed_files("claude", SUPERVISE)
    state = json.loads(files[".claude.json"])
    assert state["hasCompletedOnboarding"] is True
    assert state["customApiKeyResponses"]["approved"] == [PLACEHOLDER_KEY[-20:]]
    settings = json.loads(files[".claude/settings.json"])
    assert settings["permissions"]["defaultMode"] == "bypassPermissions"
    assert settings["env"]["DISABLE_AUTOUPDATER"] == "1"
    assert settings["env"]["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"


def test_codex_gets_supervise_as_an_mcp_server_and_the_placeholder_key() -> None:
    """config.toml names supervise; approvals and Codex's own sandbox are off; no login."""
    files = seed_files("codex", SUPERVISE)
    config = tomllib.loads(files[".codex/config.toml"])
    assert config["mcp_servers"]["bot-bottle"]["url"] == SUPERVISE
    assert config["approval_policy"] == "never"
    assert config["sandbox_mode"] == "danger-full-access"
    assert json.loads(files[".codex/auth.json"])["OPENAI_API_KEY"] == PLACEHOLDER_KEY


def test_an_unsupervised_codex_bottle_has_no_mcp_server() -> None:
    """Without supervise, no MCP server is configured."""
    assert "mcp_servers" not in tomllib.loads(seed_files("codex", None)[".codex/config.toml"])


@pytest.mark.parametrize(
    ("runtime", "flags"),
    [
        ("claude", ['claude -p "$1"', "--mcp-config", "--dangerously-skip-permissions"]),
        ("codex", ["codex exec", "--dangerously-bypass-approvals-and-sandbox"]),
    ],
)
def test_an_unattended_run_passes_the_prompt_as_an_argument_never_in_the_script(
    runtime: str, flags: list[str]
) -> None:
    """The prompt is $1 (no shell injection), stdin is closed, the runtime's flags are set."""
    prompt = "$(touch /tmp/pwned) `id` ' \" ;"
    argv = run_command(runtime, SUPERVISE, prompt)
    assert argv[0:2] == ["sh", "-c"]
    assert argv[-1] == prompt
    assert prompt not in argv[2]
    assert "</dev/null" in argv[2]
    for flag in flags:
        assert flag in argv[2]


def test_the_seed_script_writes_each_file_once_and_keeps_the_agents_changes(
    tmp_path: Path,
) -> None:
    """Run for real with a fake CLI: files appear; a changed file is not overwritten."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "codex").write_text('#!/bin/sh\necho ran codex "$@"\n')
    (bindir / "codex").chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    argv = run_command("codex", SUPERVISE, "hi")
    script = argv[2].replace("/etc/bot-bottle/agent/instructions.md", "/dev/null")
    script = script.replace("-C /workspace", "")
    env = {"HOME": str(home), "PATH": f"{bindir}:/usr/bin:/bin"}
    done = subprocess.run(
        ["sh", "-c", script, "x", "hi"], env=env, capture_output=True, text=True, check=True
    )
    assert "ran codex exec" in done.stdout
    config = home / ".codex" / "config.toml"
    config.write_text("# the agent's own\n")
    subprocess.run(["sh", "-c", script, "x", "hi"], env=env, check=True, capture_output=True)
    assert config.read_text() == "# the agent's own\n"


def test_a_custom_openai_base_url_becomes_codexs_openai_base_url(tmp_path: Path) -> None:
    """The bottle's OPENAI_BASE_URL is written as the first key of config.toml."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "codex").write_text("#!/bin/sh\ntrue\n")
    (bindir / "codex").chmod(0o755)
    script = run_command("codex", SUPERVISE, "hi")[2]
    script = script.replace("/etc/bot-bottle/agent/instructions.md", "/dev/null")
    env = {
        "HOME": str(tmp_path),
        "PATH": f"{bindir}:/usr/bin:/bin",
        "OPENAI_BASE_URL": "https://gw.corp.example/v1",
    }
    subprocess.run(
        ["sh", "-c", script.replace("-C /workspace", ""), "x", "hi"],
        env=env,
        check=True,
        capture_output=True,
    )
    config = tomllib.loads((tmp_path / ".codex" / "config.toml").read_text())
    assert config["openai_base_url"] == "https://gw.corp.example/v1"


@pytest.mark.parametrize(
    ("runtime", "image"),
    [
        ("claude", "agent-claude"),
        ("codex", "agent-codex"),
        ("shell", "agent"),
        ("command", "agent"),
    ],
)
def test_each_runtime_names_the_image_it_needs(runtime: str, image: str) -> None:
    """Only claude/codex need a CLI image."""
    assert agent_image_component(runtime) == image


def test_attach_to_a_runtime_seeds_first_and_a_shell_is_plain_bash() -> None:
    """Interactive runtimes get the same seeding; --shell is a login bash."""
    assert "hasCompletedOnboarding" in attach_command("claude", SUPERVISE)[2]
    assert "codex --no-daemon --dangerously-bypass" in attach_command("codex", None)[2]
    assert attach_command("shell", None) == ["bash", "-l"]
