"""bb doctor names the one host-setup command, and checks a configured registry."""

from __future__ import annotations

import socket
from typing import Any

import pytest

import bb_cli.engine
from bb_cli.commands.doctor import SETUP, registry_check, run_checks
from bb_cli.engine import DockerCommandError


def test_a_missing_engine_names_the_setup_script(
    monkeypatch: pytest.MonkeyPatch, fake_engine: Any
) -> None:
    """No engine answers: the fix is scripts/setup-host.sh."""

    def no_engine() -> str:
        raise DockerCommandError(["docker", "version"], 1, "Cannot connect to the Docker daemon")

    fake_engine.server_version = no_engine
    monkeypatch.setattr(bb_cli.engine, "default_engine", lambda: fake_engine)
    (check,) = run_checks()
    assert not check.ok
    assert "scripts/setup-host.sh" in check.fix
    assert "setup-host.sh" in SETUP


def test_no_registry_configured_is_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry is optional: images may be local."""
    monkeypatch.delenv("BB_REGISTRY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")
    check = registry_check()
    assert check.ok
    assert "none configured" in check.detail


def test_a_configured_registry_that_does_not_answer_fails_with_its_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A closed loopback port: the check fails at once, naming the setting."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        monkeypatch.setenv("BB_REGISTRY", f"127.0.0.1:{sock.getsockname()[1]}")
    check = registry_check()
    assert not check.ok
    assert "BB_REGISTRY" in check.fix
