"""Launcher assertions: judge ``docker inspect`` output against the hardened bottle.

Pure functions over the inspect JSON, each returning the list of problems found (empty
when all is well), so they are tested with tables of inspect documents and the backend only
fetches and reacts. The backend tears the bottle down if any list is non-empty: a bottle
that does not look exactly as rendered never runs an agent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any, Final

from bb_cli.backends.compose.limits import ContainerLimits, LogRotation
from bb_protocol import envvars

__all__ = [
    "DOCKER_SOCKETS",
    "MIN_ENGINE",
    "check_agent",
    "check_agent_env",
    "check_engine_version",
    "check_limits",
    "check_network",
    "check_pid_namespace",
    "check_runtime",
    "check_runtime_registered",
]

MIN_ENGINE: Final = (28, 0)
"""Isolated gateway modes (28.0) and the embedded-DNS fix (26.0)."""

_GATEWAY_OPTS: Final = (
    "com.docker.network.bridge.gateway_mode_ipv4",
    "com.docker.network.bridge.gateway_mode_ipv6",
)


def check_engine_version(version: str) -> list[str]:
    """Problems with the engine's ``Server.Version`` (too old, unparsable)."""
    try:
        found = tuple(int(part) for part in version.split("-")[0].split(".")[:2])
    except ValueError:
        return [f"cannot parse Docker Engine version {version!r}"]
    if found < MIN_ENGINE:
        return [f"Docker Engine {version} < 28.0: no isolated gateway mode for internal networks"]
    return []


def check_network(info: Mapping[str, Any]) -> list[str]:
    """The agent's network: internal, IPv6 off, both gateway modes isolated."""
    options = info.get("Options") or {}
    problems = []
    if info.get("Internal") is not True:
        problems.append(f"network {info.get('Name')} is not internal")
    if info.get("EnableIPv6") is not False:
        problems.append(f"network {info.get('Name')} has IPv6 enabled")
    problems += [
        f"network {info.get('Name')}: {opt.rsplit('.', 1)[1]} is not isolated"
        for opt in _GATEWAY_OPTS
        if options.get(opt) != "isolated"
    ]
    return problems


DOCKER_SOCKETS: Final = ("/var/run/docker.sock", "/run/docker.sock")
"""Host paths of the Docker socket: no agent mount may contain or be one of them."""


def _overlaps(source: str, forbidden: str) -> bool:
    """True when ``source`` is ``forbidden``, inside it, or a directory containing it."""
    src = PurePosixPath(source)
    bad = PurePosixPath(forbidden)
    return src == bad or bad.is_relative_to(src) or src.is_relative_to(bad)


def check_agent(
    info: Mapping[str, Any], internal_network: str, forbidden_sources: Sequence[str] = ()
) -> list[str]:
    """The agent container: one internal network and nothing that opens a way out.

    ``forbidden_sources``: host paths no agent mount may expose, beside the Docker socket
    (the bottle's approval key and queue: approvals must stay out of the agent's reach).
    """
    host = info.get("HostConfig") or {}
    config = info.get("Config") or {}
    networks = sorted((info.get("NetworkSettings") or {}).get("Networks") or {})
    options = host.get("SecurityOpt") or []
    mounts = info.get("Mounts") or []
    sysctls = host.get("Sysctls") or {}
    forbidden = (*DOCKER_SOCKETS, *forbidden_sources)
    bad_mounts = [
        str(m.get("Source"))
        for m in mounts
        if "docker.sock" in str(m.get("Source") or "")
        or "mitmproxy" in str(m.get("Source") or "")
        or str(m.get("Destination") or "") in DOCKER_SOCKETS
        or (
            m.get("Type") == "bind"
            and any(_overlaps(str(m.get("Source") or "/"), f) for f in forbidden)
        )
    ]
    checks = [
        (networks == [internal_network], f"networks are {networks}, not only {internal_network}"),
        (not host.get("CapAdd"), f"CapAdd is {host.get('CapAdd')}"),
        ([c.upper() for c in host.get("CapDrop") or []] == ["ALL"], "CapDrop is not [ALL]"),
        (host.get("Privileged") is False, "container is privileged"),
        (not host.get("Dns"), f"dns is set: {host.get('Dns')}"),
        (not host.get("DnsSearch") and not host.get("DnsOptions"), "dns search/options are set"),
        (not host.get("PortBindings"), "ports are published"),
        (not host.get("PublishAllPorts"), "PublishAllPorts is set"),
        (not host.get("ExtraHosts"), f"extra hosts are set: {host.get('ExtraHosts')}"),
        (host.get("ReadonlyRootfs") is True, "root filesystem is writable"),
        (
            all(
                host.get(k, "") != "host" for k in ("PidMode", "IpcMode", "NetworkMode", "UTSMode")
            ),
            "a namespace is shared with the host",
        ),
        (not host.get("Devices"), "devices are passed through"),
        (any(o.startswith("no-new-privileges") for o in options), "no-new-privileges is missing"),
        (not any("unconfined" in o for o in options), "seccomp or apparmor is unconfined"),
        (
            not bad_mounts,
            f"mounts expose the Docker socket, the proxy confdir or approvals: {bad_mounts}",
        ),
        (config.get("User") not in ("", "0", "root", "0:0", None), "runs as root"),
        (str(sysctls.get("net.ipv6.conf.all.disable_ipv6")) == "1", "IPv6 is not disabled"),
        (int(host.get("PidsLimit") or 0) > 0, "no pids limit"),
        (int(host.get("Memory") or 0) > 0, "no memory limit"),
    ]
    return [problem for ok, problem in checks if not ok]


def check_limits(
    info: Mapping[str, Any],
    limits: ContainerLimits,
    logs: LogRotation,
    *,
    read_only: bool,
) -> list[str]:
    """Any container of the bottle: exactly the rendered memory, swap, pids, CPU limits and
    log rotation, and a read-only root where rendered (sidecars, the agent)."""
    host = info.get("HostConfig") or {}
    name = str(info.get("Name") or "?").lstrip("/")
    log = host.get("LogConfig") or {}
    options = log.get("Config") or {}
    checks = [
        (
            int(host.get("Memory") or 0) == limits.memory,
            f"memory limit is {host.get('Memory')}, not {limits.memory}",
        ),
        (
            int(host.get("MemorySwap") or 0) == limits.memory,
            f"memory+swap limit is {host.get('MemorySwap')}, not {limits.memory}",
        ),
        (
            int(host.get("PidsLimit") or 0) == limits.pids,
            f"pids limit is {host.get('PidsLimit')}, not {limits.pids}",
        ),
        (
            int(host.get("NanoCpus") or 0) == limits.nano_cpus,
            f"CPU limit is {host.get('NanoCpus')} nano-CPUs, not {limits.nano_cpus}",
        ),
        (log.get("Type") == "json-file", f"log driver is {log.get('Type')!r}, not json-file"),
        (
            options.get("max-size") == logs.max_size
            and options.get("max-file") == str(logs.max_files),
            f"logs are not rotated at {logs.max_size} x {logs.max_files}: {options}",
        ),
        (not read_only or host.get("ReadonlyRootfs") is True, "root filesystem is writable"),
    ]
    return [f"{name}: {problem}" for ok, problem in checks if not ok]


def check_runtime(info: Mapping[str, Any], runtime: str | None) -> list[str]:
    """The agent runs under the OCI runtime the bottle asked for (never a silent fallback)."""
    if runtime is None:
        return []
    found = (info.get("HostConfig") or {}).get("Runtime")
    return [] if found == runtime else [f"agent runtime is {found!r}, not {runtime!r}"]


def check_runtime_registered(runtimes: Mapping[str, Any], runtime: str | None) -> list[str]:
    """The runtime the bottle names is registered with the engine (``docker info`` Runtimes)."""
    if runtime is None or runtime in runtimes:
        return []
    known = ", ".join(sorted(runtimes)) or "none"
    return [f"runtime {runtime!r} is not registered with the Docker engine (registered: {known})"]


def check_pid_namespace(info: Mapping[str, Any], owner_id: str) -> list[str]:
    """The agent lives in the storage watchdog's PID namespace (its stop mechanism)."""
    mode = str((info.get("HostConfig") or {}).get("PidMode") or "")
    if mode == f"container:{owner_id}":
        return []
    return [f"agent PID mode is {mode!r}, not the storage watchdog's namespace"]


def check_agent_env(info: Mapping[str, Any], egress_env: Mapping[str, str]) -> list[str]:
    """The agent's environment holds no bottle secret: no ``EGRESS_TOKEN_*`` name and no
    value of the egress sidecar's (and git gate's) secrets, whatever the variable's name.

    The canary is the exception by design: the agent holds it (``BOT_BOTTLE_CANARY``) so that
    it is caught if it leaves. Problems name variables, never values.
    """
    skip = {envvars.EGRESS_CANARY, envvars.SENSITIVE_PREFIXES}
    values = [v for k, v in egress_env.items() if k not in skip and v]
    problems: list[str] = []
    for entry in (info.get("Config") or {}).get("Env") or []:
        name, _, value = str(entry).partition("=")
        if name.startswith(envvars.DEFAULT_SENSITIVE_PREFIX):
            problems.append(f"the agent's environment has {name}")
        elif any(secret in value for secret in values):
            problems.append(f"the agent's {name} holds a bottle secret")
    return problems
