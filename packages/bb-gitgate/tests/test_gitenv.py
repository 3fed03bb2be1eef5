"""The scrubbed environment every git process of the gate gets."""

from __future__ import annotations

import shlex
from pathlib import Path

from bb_gitgate.gitenv import git_env, ssh_command

PARENT = {
    "PATH": "/usr/bin",
    "HOME": "/root",
    "GIT_DIR": "/evil",
    "GIT_CONFIG_PARAMETERS": "'core.fsmonitor'='evil'",
    "GIT_SSH_COMMAND": "evil",
    "GIT_EXTERNAL_DIFF": "evil",
    "SSH_AUTH_SOCK": "/agent.sock",
    "HTTPS_PROXY": "http://evil:1",
    "GITLEAKS_CONFIG": "/evil.toml",
}


def _forced(env: dict[str, str]) -> dict[str, str]:
    count = int(env["GIT_CONFIG_COUNT"])
    return {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(count)}


def test_nothing_but_path_and_locale_is_inherited():
    """Every GIT_*, SSH_*, proxy and gitleaks variable of the parent is dropped."""
    env = git_env(Path("/state"), parent=PARENT)
    for name in PARENT:
        if name != "PATH":
            assert env.get(name) != PARENT[name], name
    assert env["PATH"] == "/usr/bin"
    assert env["HOME"] == "/state/home"
    assert env["GIT_CONFIG_NOSYSTEM"] == "1"
    assert env["GIT_CONFIG_GLOBAL"] == "/state/gitconfig"


def test_hooks_fsmonitor_and_ext_are_forced_off():
    """The settings that would run repo-controlled code are forced by env config."""
    forced = _forced(git_env(Path("/state"), parent=PARENT))
    assert forced["core.hooksPath"] == "/dev/null"
    assert forced["core.fsmonitor"] == "false"
    assert forced["protocol.ext.allow"] == "never"
    assert forced["protocol.file.allow"] == "never"
    assert forced["protocol.allow"] == "never"
    assert forced["credential.helper"] == ""


def test_only_the_receive_pack_gets_the_gates_own_hooks():
    """hooks_path replaces /dev/null for the one process that needs the gate's pre-receive."""
    forced = _forced(git_env(Path("/state"), hooks_path=Path("/state/hooks"), parent=PARENT))
    assert forced["core.hooksPath"] == "/state/hooks"


def test_the_ssh_command_pins_host_keys_and_uses_only_the_deploy_key():
    """Strict host key checking against the manifest's known_hosts, no agent, no config."""
    argv = shlex.split(ssh_command(Path("/keys/deploy key"), Path("/etc/known_hosts")))
    assert argv[:3] == ["ssh", "-F", "/dev/null"]
    assert argv[argv.index("-i") + 1] == "/keys/deploy key"
    options = {argv[i + 1] for i, a in enumerate(argv) if a == "-o"}
    assert {
        "StrictHostKeyChecking=yes",
        "UserKnownHostsFile=/etc/known_hosts",
        "IdentitiesOnly=yes",
        "IdentityAgent=none",
        "BatchMode=yes",
        "ProxyCommand=none",
    } <= options
