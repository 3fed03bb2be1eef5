"""Compose service -> ``container run`` arguments (pure): the same render, another engine.

The compose render (`bb_cli.backends.compose.render.render_project`) is the one description
of a bottle. This module turns each service into Apple ``container run`` flags, names what
the tool cannot express (so the backend can warn once, listing it), and rewrites the
service host names the render uses (``egress``, ``supervise``, ``git-gate``) to this
bottle's container names, because ``container`` networks have no per-service aliases.

Flags used, per apple/container ``docs/command-reference.md`` (``container run``):
``--detach``, ``--rm``, ``--name``, ``--network``, ``--env``, ``--volume``, ``--user``,
``--label``, ``--cpus``, ``--memory``, ``--entrypoint``, ``--read-only``, ``--tmpfs``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bb_cli.names import agent_container, project_name

__all__ = [
    "UNSUPPORTED_KEYS",
    "RunSpec",
    "agent_name",
    "network_name",
    "service_name",
    "translate_service",
    "volume_name",
]

UNSUPPORTED_KEYS: Mapping[str, str] = {
    "cap_drop": "dropping capabilities",
    "security_opt": "no-new-privileges",
    "sysctls": "sysctls (IPv6 off, no forwarding)",
    "pids_limit": "a process limit",
    "healthcheck": "health checks (sidecars are started in order, not awaited)",
}
"""Compose keys with no ``container run`` equivalent -> what the warning calls them."""

_IGNORED = {"networks", "depends_on", "container_name", "hostname", "init", "image"}
_HOSTS = ("egress", "supervise", "git-gate")


def network_name(slug: str) -> str:
    """The bottle's dedicated network (`bb_cli.names.project_name`)."""
    return project_name(slug)


def service_name(slug: str, service: str) -> str:
    """A sidecar's container name."""
    return f"{project_name(slug)}-{service}"


def agent_name(slug: str) -> str:
    """The agent's container name (the same as under compose)."""
    return agent_container(slug)


def volume_name(slug: str, volume: str) -> str:
    """A named volume of the bottle (``home``, ``workspace``)."""
    return f"{project_name(slug)}-{volume}"


@dataclass(frozen=True)
class RunSpec:
    """One container's ``container run`` argv (without the binary) and what was dropped."""

    name: str
    argv: list[str]
    unsupported: list[str] = field(default_factory=list)


def _rewrite_hosts(value: str, slug: str) -> str:
    for host in _HOSTS:
        target = service_name(slug, "gitgate" if host == "git-gate" else host)
        value = re.sub(rf"(?<![\w.-]){re.escape(host)}(?![\w.-])", target, value)
    return value


def translate_service(
    slug: str,
    service: str,
    spec: Mapping[str, Any],
    values: Mapping[str, str],
) -> RunSpec:
    """``container run`` argv for one compose service; unset env values come from ``values``."""
    name = agent_name(slug) if service == "agent" else service_name(slug, service)
    argv = ["run", "--detach", "--rm", "--name", name, "--network", network_name(slug)]
    unsupported = [f"{service}: {UNSUPPORTED_KEYS[k]}" for k in spec if k in UNSUPPORTED_KEYS]
    unknown = sorted(
        set(spec)
        - set(UNSUPPORTED_KEYS)
        - _IGNORED
        - {
            "user",
            "read_only",
            "tmpfs",
            "environment",
            "volumes",
            "labels",
            "mem_limit",
            "cpus",
            "command",
            "entrypoint",
        }
    )
    unsupported += [f"{service}: {key}" for key in unknown]
    if "user" in spec:
        argv += ["--user", str(spec["user"])]
    if spec.get("read_only"):
        argv.append("--read-only")
    for mount in spec.get("tmpfs", []):
        argv += ["--tmpfs", str(mount).split(":", 1)[0]]
    for key, value in sorted((spec.get("environment") or {}).items()):
        if value is None:
            if key not in values:
                raise ValueError(f"{service}: no value for environment variable {key}")
            value = values[key]
        argv += ["--env", f"{key}={_rewrite_hosts(str(value), slug)}"]
    for volume in spec.get("volumes", []):
        argv += ["--volume", _volume(slug, volume)]
    for key, value in sorted((spec.get("labels") or {}).items()):
        argv += ["--label", f"{key}={value}"]
    if spec.get("mem_limit"):
        argv += ["--memory", str(spec["mem_limit"])]
    if spec.get("cpus"):
        argv += ["--cpus", str(spec["cpus"])]
    command = [str(c) for c in spec.get("command") or []]
    argv.append(str(spec["image"]))
    return RunSpec(name=name, argv=argv + command, unsupported=unsupported)


def _volume(slug: str, volume: Any) -> str:
    if isinstance(volume, Mapping):
        ro = ":ro" if volume.get("read_only") else ""
        return f"{volume['source']}:{volume['target']}{ro}"
    source, rest = str(volume).split(":", 1)
    if not source.startswith("/"):  # a named volume: make it the bottle's own
        source = volume_name(slug, source)
    return f"{source}:{rest}"
