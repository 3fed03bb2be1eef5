"""Specification of bb_cli.images.resolve with a registry configured that does not answer."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from bb_cli.images import resolve as resolve_mod
from bb_cli.images.catalog import LABEL_COMPONENT, LABEL_PROTOCOL, LABEL_VERSION
from bb_cli.images.errors import RegistryUnreachableError, SourceTreeNotFoundError
from bb_protocol.versions import ACCEPTED_PROTOCOL_VERSIONS

PROTOCOL = str(max(ACCEPTED_PROTOCOL_VERSIONS))


@pytest.fixture
def dead_registry(monkeypatch: pytest.MonkeyPatch) -> str:
    """``$BB_REGISTRY`` names a loopback port nothing listens on; no source tree."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{sock.getsockname()[1]}"

    def no_tree() -> None:
        raise SourceTreeNotFoundError("none")

    monkeypatch.setattr(resolve_mod, "find_source_tree", no_tree)
    monkeypatch.setenv("BB_REGISTRY", host)
    return host


def test_a_registry_that_does_not_answer_falls_back_to_a_local_image_with_a_warning(
    dead_registry: str, fake_engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """An image pulled before (tagged in the registry's repository) still starts a bottle."""
    ref = f"{dead_registry}/bot-bottle/egress:0.1.0"
    labels = {LABEL_COMPONENT: "egress", LABEL_VERSION: "0.1.0", LABEL_PROTOCOL: PROTOCOL}
    fake_engine.images[ref] = labels
    assert resolve_mod.resolve_image("egress", fake_engine) == ref
    assert "did not answer" in capsys.readouterr().err


def test_a_registry_that_does_not_answer_and_no_local_image_is_a_clear_error(
    dead_registry: str, fake_engine: Any
) -> None:
    """Never a hang: the error names the registry and what to do."""
    with pytest.raises(RegistryUnreachableError, match=dead_registry) as info:
        resolve_mod.resolve_image("egress", fake_engine)
    assert "bb images build" in str(info.value)


def test_missing_images_never_asks_the_registry(dead_registry: str, fake_engine: Any) -> None:
    """``bb doctor``'s image check is about this host only."""
    assert resolve_mod.missing_images(["egress"], fake_engine) == ["egress"]
