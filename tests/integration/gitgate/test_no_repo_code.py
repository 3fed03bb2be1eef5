"""The gate never runs code that anyone but the gate configured.

Each case plants a way git could be made to run a program (hooks, ``core.fsmonitor``,
filter/diff/merge drivers via ``.gitattributes``, ``diff.external``, credential helpers,
``ext::`` URLs via ``insteadOf`` or ``.gitmodules``, ``core.sshCommand``) pointing at a
script that writes a marker file, drives clone, fetch, a clean push and a held push
through the gate, and proves that no marker was written.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bb_testkit.gitgate import (
    PLANTED_SECRET,
    Agent,
    Gate,
    Upstream,
    clean_git_env,
    decide,
    run_git,
    start_gate,
    stop_gate,
    wait_for_proposal,
)

HOOK_NAMES = (
    "pre-receive",
    "update",
    "post-receive",
    "post-update",
    "reference-transaction",
    "push-to-checkout",
    "proc-receive",
    "pre-push",
    "post-checkout",
    "fsmonitor-watchman",
)


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    """A script that records each run as a file in ``markers/``; returns its path."""
    markers = tmp_path / "markers"
    markers.mkdir()
    script = tmp_path / "evil.sh"
    script.write_text(f'#!/bin/sh\ntouch "{markers}/ran-$$"\ncat >/dev/null 2>&1\nexit 0\n')
    script.chmod(0o755)
    return script


def _markers(evil: Path) -> list[str]:
    return sorted(p.name for p in (evil.parent / "markers").iterdir())


def _evil_config(evil: Path, hooks: Path) -> str:
    return f"""
[core]
    hooksPath = {hooks}
    fsmonitor = {evil}
    sshCommand = {evil}
    gitProxy = {evil}
    pager = {evil}
[filter "evil"]
    clean = {evil}
    smudge = {evil}
    process = {evil}
    required = true
[diff "evil"]
    textconv = {evil}
    command = {evil}
[merge "evil"]
    driver = {evil}
[diff]
    external = {evil}
[credential]
    helper = !{evil}
[protocol "ext"]
    allow = always
[uploadpack]
    packObjectsHook = {evil}
"""


@pytest.fixture
def hostile_gate(tmp_path: Path, upstream: Upstream, evil: Path) -> Iterator[Gate]:
    """A gate whose parent environment and mirror are planted with every trick."""
    if shutil.which("gitleaks") is None:
        pytest.skip("gitleaks is not installed")
    hooks = tmp_path / "evil-hooks"
    hooks.mkdir()
    for name in HOOK_NAMES:
        (hooks / name).symlink_to(evil)
    evil_home = tmp_path / "evil-home"
    (evil_home / ".config" / "git").mkdir(parents=True)
    config_text = _evil_config(evil, hooks)
    for path in (evil_home / ".gitconfig", evil_home / ".config" / "git" / "config"):
        path.write_text(config_text)
    system = tmp_path / "evil-system-gitconfig"
    system.write_text(config_text)
    env = dict(os.environ)
    env.update(
        HOME=str(evil_home),
        XDG_CONFIG_HOME=str(evil_home / ".config"),
        GIT_CONFIG_SYSTEM=str(system),
        GIT_CONFIG_GLOBAL=str(system),
        GIT_CONFIG_PARAMETERS=f"'core.fsmonitor'='{evil}'",
        GIT_EXTERNAL_DIFF=str(evil),
        GIT_SSH_COMMAND=str(evil),
        GIT_ASKPASS=str(evil),
        GIT_EXEC_PATH_EVIL=str(evil),
        GITLEAKS_CONFIG=str(tmp_path / "missing-gitleaks.toml"),
    )
    gate = start_gate(tmp_path, upstream.url, env=env)
    mirror = gate.state / "repos" / "app.git"
    # Hooks in the mirror's own hooks directory, and forced-off settings in its config.
    for name in HOOK_NAMES:
        (mirror / "hooks" / name).symlink_to(evil)
    with (mirror / "config").open("a") as config:
        config.write(f"[core]\n\thooksPath = {hooks}\n\tfsmonitor = {evil}\n")
    try:
        yield gate
    finally:
        stop_gate(gate)


def _hostile_commit(agent: Agent, evil: Path) -> None:
    (agent.work / ".gitattributes").write_text("* filter=evil diff=evil merge=evil\n")
    (agent.work / ".gitmodules").write_text(
        f'[submodule "x"]\n\tpath = x\n\turl = ext::sh -c {evil}% x\n'
    )
    agent.git("add", ".gitattributes", ".gitmodules")
    agent.git("commit", "-q", "-m", "hostile attributes and submodule url")


def test_no_planted_program_runs_during_clone_fetch_and_pushes(
    tmp_path: Path, hostile_gate: Gate, upstream: Upstream, evil: Path
):
    """Clone, a clean push, a held-and-rejected push and a fetch run nothing planted."""
    env = clean_git_env(tmp_path / "agent-home")
    work = tmp_path / "agent-work"
    run_git("clone", "-q", hostile_gate.url(), str(work), env=env)
    agent = Agent(work, env)
    _hostile_commit(agent, evil)
    clean = agent.git("push", "origin", "HEAD:refs/heads/main", check=False)
    assert clean.returncode == 0, clean.stderr
    assert upstream.rev("refs/heads/main") == agent.git("rev-parse", "HEAD").stdout.strip()

    agent.commit_file("secret.py", f'KEY = "{PLANTED_SECRET}"\n', "secret")
    push = agent.push_async("origin", "HEAD:refs/heads/main")
    decide(hostile_gate, wait_for_proposal(hostile_gate), "rejected", "no")
    output, _ = push.communicate(timeout=60)
    assert push.returncode != 0, output
    agent.git("fetch", "-q", "origin")

    assert _markers(evil) == [], hostile_gate.log_text()


def test_an_ext_url_rewrite_in_the_mirror_config_is_refused_not_run(
    tmp_path: Path, hostile_gate: Gate, upstream: Upstream, evil: Path
):
    """Even an insteadOf rewriting upstream to ext:: cannot run: the forward fails closed."""
    env = clean_git_env(tmp_path / "agent-home")
    work = tmp_path / "agent-work"
    run_git("clone", "-q", hostile_gate.url(), str(work), env=env)
    agent = Agent(work, env)
    mirror = hostile_gate.state / "repos" / "app.git"
    with (mirror / "config").open("a") as config:
        config.write(f'[url "ext::sh -c {evil}% x"]\n\tinsteadOf = {upstream.url}\n')
    before = upstream.rev("refs/heads/main")
    agent.commit_file("a.txt", "a\n", "a")
    result = agent.git("push", "origin", "HEAD:refs/heads/main", check=False)
    assert result.returncode != 0
    assert upstream.rev("refs/heads/main") == before
    assert _markers(evil) == []


def test_the_planted_config_does_run_for_an_unprotected_git(
    tmp_path: Path, hostile_gate: Gate, upstream: Upstream, evil: Path
):
    """Control: plain git with the planted HOME runs the script, so the markers can fire."""
    env = clean_git_env(tmp_path / "evil-home")
    mirror = hostile_gate.state / "repos" / "app.git"
    result = run_git(
        "--git-dir",
        str(mirror),
        "fetch",
        str(upstream.path),
        "main:refs/heads/control",
        env=env,
        check=False,
    )
    assert _markers(evil) != [], result.stderr
