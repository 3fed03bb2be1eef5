"""Shared fixtures of the cross-package tests: a real Docker engine, or a clear skip."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def docker_available() -> str | None:
    """Return why Docker cannot be used here, or None when an engine answers."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    result = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return f"no Docker engine answers: {result.stderr.strip()[:200]}"
    return None


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """Skip (with the reason) when no Docker engine runs; CI always starts one."""
    reason = docker_available()
    if reason is not None:
        pytest.skip(reason)
