"""Fixtures for the git gate with real git, real gitleaks and real processes on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bb_testkit.gitgate import (
    Agent,
    Gate,
    Upstream,
    clean_git_env,
    run_git,
    serve_upstream,
    start_gate,
    stop_gate,
)


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Upstream]:
    """A bare repo with one commit on main, served by git daemon on loopback."""
    with serve_upstream(tmp_path) as served:
        yield served


@pytest.fixture
def gate(tmp_path: Path, upstream: Upstream) -> Iterator[Gate]:
    """bb-gitgate serving ``app`` from ``upstream`` on loopback, with a queue directory."""
    if shutil.which("gitleaks") is None:
        pytest.skip("gitleaks is not installed")
    started = start_gate(tmp_path, upstream.url)
    try:
        yield started
    finally:
        stop_gate(started)


@pytest.fixture
def agent(tmp_path: Path, gate: Gate) -> Agent:
    """A clone of ``app`` from the gate, as the agent would have it."""
    env = clean_git_env(tmp_path / "agent-home")
    work = tmp_path / "agent-work"
    run_git("clone", "-q", gate.url(), str(work), env=env)
    return Agent(work, env)
