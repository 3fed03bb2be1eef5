"""Specification of bb_cli.images.registry: the registry setting and what a tag claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_cli.images.catalog import LABEL_COMPONENT, LABEL_PROTOCOL, LABEL_VERSION
from bb_cli.images.errors import RegistryError, RegistryUnreachableError
from bb_cli.images.registry import (
    Published,
    Registry,
    RegistryClient,
    parse_registry,
    registry_setting,
)


@pytest.mark.parametrize(
    ("text", "host", "prefix", "scheme"),
    [
        ("127.0.0.1:5000", "127.0.0.1:5000", "", "http"),
        ("localhost:5000/", "localhost:5000", "", "http"),
        ("[::1]:5000", "[::1]:5000", "", "http"),
        ("ghcr.io/acme", "ghcr.io", "acme", "https"),
        ("registry.example:443/team/ci", "registry.example:443", "team/ci", "https"),
    ],
)
def test_a_registry_is_host_port_and_an_optional_path(
    text: str, host: str, prefix: str, scheme: str
) -> None:
    """Docker's form; loopback registries are spoken to over http, as Docker does."""
    registry = parse_registry(text)
    assert (registry.host, registry.prefix, registry.scheme) == (host, prefix, scheme)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("https://ghcr.io", "without a scheme"),
        ("ghcr.io/Acme", "lowercase"),
        ("bad host:5000", "not a host"),
    ],
)
def test_a_malformed_registry_is_refused_saying_why(text: str, why: str) -> None:
    """Never silently ignored: the message says what is wrong."""
    with pytest.raises(ValueError, match=why):
        parse_registry(text)


def test_components_live_under_bot_bottle_in_the_registry() -> None:
    """``REG[/path]/bot-bottle/<component>``, tagged with the version or pinned by digest."""
    registry = Registry("ghcr.io", "acme")
    assert registry.ref("egress", "0.1.0") == "ghcr.io/acme/bot-bottle/egress:0.1.0"
    assert registry.pinned("egress", "sha256:ab") == "ghcr.io/acme/bot-bottle/egress@sha256:ab"


def test_the_env_var_wins_over_the_config_file(tmp_path: Path) -> None:
    """``$BB_REGISTRY`` first, then ``registry`` in the config file; empty env turns it off."""
    config = tmp_path / "bot-bottle" / "config.toml"
    config.parent.mkdir()
    config.write_text('registry = "ghcr.io/acme"\n')
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert registry_setting(env) == Registry("ghcr.io", "acme")
    assert registry_setting({**env, "BB_REGISTRY": "127.0.0.1:5000"}) == Registry("127.0.0.1:5000")
    assert registry_setting({**env, "BB_REGISTRY": ""}) is None
    assert registry_setting({"XDG_CONFIG_HOME": str(tmp_path / "none")}) is None


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("registry = 5\n", "must be a string"),
        ("registry = [\n", "config.toml"),
        ('registry = "http://x"\n', "without a scheme"),
    ],
)
def test_a_bad_config_file_is_an_error_naming_the_file(
    tmp_path: Path, content: str, where: str
) -> None:
    """A typo in the config is reported with the file, not ignored."""
    config = tmp_path / "bot-bottle" / "config.toml"
    config.parent.mkdir()
    config.write_text(content)
    with pytest.raises(RegistryError, match=where):
        registry_setting({"XDG_CONFIG_HOME": str(tmp_path)})


def test_a_bad_env_var_is_an_error_naming_it() -> None:
    """``$BB_REGISTRY`` with a scheme says so."""
    with pytest.raises(RegistryError, match=r"\$BB_REGISTRY"):
        registry_setting({"BB_REGISTRY": "https://ghcr.io"})


def _published(component: str, tag: str, labels: dict[str, str]) -> Published:
    return Published(component, tag, "sha256:m", "sha256:c", labels)


def test_a_tag_whose_labels_agree_has_no_mismatch() -> None:
    """Component, version and a numeric protocol as the tag says."""
    labels = {LABEL_COMPONENT: "egress", LABEL_VERSION: "0.2.0", LABEL_PROTOCOL: "1"}
    assert _published("egress", "0.2.0", labels).mismatch() is None


@pytest.mark.parametrize(
    ("labels", "why"),
    [
        ({LABEL_COMPONENT: "agent", LABEL_VERSION: "0.2.0", LABEL_PROTOCOL: "1"}, "component"),
        ({LABEL_COMPONENT: "egress", LABEL_VERSION: "0.3.0", LABEL_PROTOCOL: "1"}, "version"),
        ({LABEL_COMPONENT: "egress", LABEL_VERSION: "0.2.0"}, "protocol"),
    ],
)
def test_a_tag_whose_labels_contradict_it_says_why(labels: dict[str, str], why: str) -> None:
    """Another component's image, or a version label that is not the tag."""
    problem = _published("egress", "0.2.0", labels).mismatch()
    assert problem is not None
    assert why in problem


def test_a_registry_that_does_not_answer_is_a_clear_error_not_a_hang() -> None:
    """A closed loopback port: an error naming the registry and what to do, at once."""
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = RegistryClient(Registry(f"127.0.0.1:{port}"), timeout=2)
    with pytest.raises(RegistryUnreachableError, match="did not answer") as info:
        client.index("egress")
    assert "BB_REGISTRY" in str(info.value)
    assert "bb images build" in str(info.value)
