"""Launcher assertions over `docker inspect` documents."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bb_cli.backends.compose.checks import check_agent, check_engine_version, check_network

NET = "bb-x_internal"
GOOD_NETWORK: dict[str, Any] = {
    "Name": NET,
    "Internal": True,
    "EnableIPv6": False,
    "Options": {
        "com.docker.network.bridge.gateway_mode_ipv4": "isolated",
        "com.docker.network.bridge.gateway_mode_ipv6": "isolated",
    },
}
GOOD_AGENT: dict[str, Any] = {
    "Config": {"User": "1000:1000"},
    "NetworkSettings": {"Networks": {NET: {}}},
    "Mounts": [{"Source": "/var/lib/docker/volumes/home", "Destination": "/home/agent"}],
    "HostConfig": {
        "CapAdd": None,
        "CapDrop": ["ALL"],
        "Privileged": False,
        "Dns": [],
        "PortBindings": {},
        "ExtraHosts": None,
        "ReadonlyRootfs": True,
        "SecurityOpt": ["no-new-privileges:true"],
        "Sysctls": {"net.ipv6.conf.all.disable_ipv6": "1"},
        "PidsLimit": 4096,
        "Memory": 8 << 30,
        "NetworkMode": NET,
    },
}


def test_the_rendered_bottle_passes() -> None:
    """A correct network and agent raise no problem."""
    assert check_network(GOOD_NETWORK) == []
    assert check_agent(GOOD_AGENT, NET) == []


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("Internal",), False, "not internal"),
        (("EnableIPv6",), True, "IPv6"),
        (("Options", "com.docker.network.bridge.gateway_mode_ipv4"), "nat", "gateway_mode_ipv4"),
    ],
)
def test_network_problems_are_named(path: tuple[str, ...], value: object, needle: str) -> None:
    """Each missing network property is reported."""
    info = copy.deepcopy(GOOD_NETWORK)
    target = info
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert any(needle in p for p in check_network(info))


@pytest.mark.parametrize(
    ("section", "key", "value", "needle"),
    [
        ("NetworkSettings", "Networks", {NET: {}, "bridge": {}}, "networks are"),
        ("HostConfig", "CapAdd", ["NET_ADMIN"], "CapAdd"),
        ("HostConfig", "CapDrop", ["NET_RAW"], "CapDrop"),
        ("HostConfig", "Privileged", True, "privileged"),
        ("HostConfig", "Dns", ["8.8.8.8"], "dns is set"),
        ("HostConfig", "PortBindings", {"22/tcp": [{}]}, "ports are published"),
        ("HostConfig", "ExtraHosts", ["host.docker.internal:host-gateway"], "extra hosts"),
        ("HostConfig", "ReadonlyRootfs", False, "writable"),
        ("HostConfig", "SecurityOpt", [], "no-new-privileges"),
        ("HostConfig", "SecurityOpt", ["no-new-privileges", "seccomp=unconfined"], "unconfined"),
        ("HostConfig", "PidMode", "host", "namespace"),
        ("HostConfig", "PidsLimit", 0, "pids"),
        ("HostConfig", "Memory", 0, "memory"),
        ("HostConfig", "Sysctls", {}, "IPv6"),
        ("Config", "User", "root", "root"),
        (
            "Mounts",
            None,
            [{"Source": "/var/run/docker.sock", "Destination": "/s"}],
            "Docker socket",
        ),
    ],
)
def test_agent_problems_are_named(
    section: str, key: str | None, value: object, needle: str
) -> None:
    """Each way out the agent could be given is reported."""
    info = copy.deepcopy(GOOD_AGENT)
    if key is None:
        info[section] = value
    else:
        info[section][key] = value
    assert any(needle in p for p in check_agent(info, NET))


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        ("28.5.2+dfsg4", True),
        ("28.0.0", True),
        ("27.5.1", False),
        ("26.1.0-ce", False),
        ("x", False),
    ],
)
def test_engine_version(version: str, ok: bool) -> None:
    """Engine 28 or newer is required."""
    assert (check_engine_version(version) == []) is ok


@pytest.mark.parametrize(
    "source",
    ["/", "/var", "/var/run", "/run/docker.sock", "/state/bottles/x", "/state/bottles/x/queue/new"],
)
def test_bind_mounts_over_the_socket_or_approvals_are_named(source: str) -> None:
    """A bind mount containing, or inside, the Docker socket or the approvals is refused."""
    info = copy.deepcopy(GOOD_AGENT)
    info["Mounts"] = [{"Type": "bind", "Source": source, "Destination": "/data"}]
    problems = check_agent(info, NET, ["/state/bottles/x/approval.key", "/state/bottles/x/queue"])
    assert any("approvals" in p for p in problems)


def test_the_bottles_own_ca_and_agent_dirs_may_be_mounted() -> None:
    """Siblings of the approval key (ca/, agent/) are fine."""
    info = copy.deepcopy(GOOD_AGENT)
    info["Mounts"] = [{"Type": "bind", "Source": "/state/bottles/x/ca", "Destination": "/ca"}]
    assert check_agent(info, NET, ["/state/bottles/x/approval.key"]) == []
