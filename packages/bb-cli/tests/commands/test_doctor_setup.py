"""bb doctor names the one host-setup command, and checks a configured registry."""

from __future__ import annotations

import socket
from typing import Any

import pytest

import bb_cli.engine
from bb_cli.commands.doctor import SETUP, Check, images_check, registry_check, run_checks
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


def test_images_missing_locally_are_fine_when_a_registry_answers(fake_engine: Any) -> None:
    """A tool install with ``$BB_REGISTRY``: ``bb start`` pulls, so doctor does not fail."""
    answering = Check("registry", True, "127.0.0.1:5000 answers")
    check = images_check(fake_engine, answering)
    assert check.ok
    assert "pulls them" in check.detail


@pytest.mark.parametrize(
    "registry",
    [
        Check("registry", True, "none configured ($BB_REGISTRY): images are local"),
        Check("registry", False, "did not answer", "fix $BB_REGISTRY or unset it"),
    ],
)
def test_images_missing_without_a_working_registry_fail_with_both_fixes(
    fake_engine: Any, registry: Check
) -> None:
    """No registry (or a dead one): the fix names the registry setting and the build."""
    check = images_check(fake_engine, registry)
    assert not check.ok
    assert "BB_REGISTRY" in check.fix
    assert "bb images build" in check.fix
