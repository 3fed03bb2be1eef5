"""Resource limits of every container in a bottle: defaults, manifest overrides, compose keys.

Pure. One hostile agent must not take the host down (issue 16): every container gets a
memory limit with no extra swap, a pids limit, a CPU limit and a rotated log; the agent's
writable storage gets a cap (`storage_bytes`). The same `ContainerLimits` render the compose
keys and are what the launcher asserts on ``docker inspect`` (`bb_cli.backends.compose.checks`),
so the two can never disagree.

Defaults (``docs/cli.md`` lists them with the manifest keys that override them):

========== ======= ====== ===========================================
container  memory  pids   cpus
========== ======= ====== ===========================================
agent      8g      4096   half the engine's CPUs, at least 1
egress     1g      256    1
supervise  256m    128    0.5
gitgate    1g      512    1
watchdog   64m     32     0.25 (not configurable)
========== ======= ====== ===========================================

Logs: json-file, rotated at 10m, 3 files per container. Storage: 20g.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from bb_cli.manifests.models import Limits, Resources, parse_size
from bb_cli.plan import Role

__all__ = [
    "DEFAULT_STORAGE",
    "ContainerLimits",
    "EngineFacts",
    "LogRotation",
    "Role",
    "container_limits",
    "log_rotation",
    "storage_bytes",
]

_DEFAULTS: Final[dict[str, tuple[str, int, float | None]]] = {
    "agent": ("8g", 4096, None),
    "egress": ("1g", 256, 1.0),
    "supervise": ("256m", 128, 0.5),
    "gitgate": ("1g", 512, 1.0),
    "watchdog": ("64m", 32, 0.25),
}
_AGENT_CPUS_UNKNOWN_HOST: Final = 2.0
DEFAULT_STORAGE: Final = "20g"
_LOG_SIZE: Final = "10m"
_LOG_FILES: Final = 3
_MIB: Final = 1 << 20


@dataclass(frozen=True)
class EngineFacts:
    """What the launcher learnt from the engine before rendering (defaults: nothing)."""

    cpus: int | None = None
    """The engine's CPU count (``docker info`` NCPU): CPU limits are clamped to it."""
    volume_quota: bool = False
    """Local volumes accept ``size`` (the volume root is xfs mounted with pquota)."""
    docker: bool = False
    """Rendering for Docker itself (the compose backend): the storage watchdog, which needs
    Docker's PID namespace sharing, is added when there is no volume quota."""


@dataclass(frozen=True)
class ContainerLimits:
    """Memory (bytes, swap included), processes and CPUs of one container."""

    memory: int
    """Bytes, a whole number of MiB (what every backend's memory flag takes)."""
    pids: int
    cpus: float

    def compose(self) -> dict[str, Any]:
        """The compose service keys."""
        return {
            "mem_limit": f"{self.memory >> 20}m",
            "memswap_limit": f"{self.memory >> 20}m",  # no swap beyond the memory limit
            "pids_limit": self.pids,
            "cpus": self.cpus,
        }

    @property
    def nano_cpus(self) -> int:
        """``HostConfig.NanoCpus`` as the engine reports it."""
        return round(self.cpus * 1e9)


@dataclass(frozen=True)
class LogRotation:
    """json-file rotation of one container's log."""

    max_size: str
    max_files: int

    def compose(self) -> dict[str, Any]:
        """The compose ``logging`` key."""
        return {
            "driver": "json-file",
            "options": {"max-size": self.max_size, "max-file": str(self.max_files)},
        }

    @property
    def bound(self) -> int:
        """Most bytes the container's logs can hold on the host."""
        return parse_size(self.max_size) * self.max_files


def _clamp(cpus: float, engine: EngineFacts) -> float:
    if engine.cpus is not None:
        cpus = min(cpus, float(engine.cpus))
    return round(cpus, 2)


def container_limits(role: Role, resources: Resources, engine: EngineFacts) -> ContainerLimits:
    """The limits of ``role``: the manifest's value where set, else the default."""
    memory, pids, cpus = _DEFAULTS[role]
    if role == "agent":
        wanted: tuple[str | None, int | None, float | None] = (
            resources.memory,
            resources.pids,
            resources.cpus,
        )
        if cpus is None:
            cpus = max(1.0, engine.cpus / 2) if engine.cpus else _AGENT_CPUS_UNKNOWN_HOST
    else:
        block: Limits | None = None if role == "watchdog" else getattr(resources, role)
        wanted = (block.memory, block.pids, block.cpus) if block else (None, None, None)
    memory = wanted[0] or memory
    pids = wanted[1] or pids
    cpus = wanted[2] or cpus
    assert cpus is not None
    mib = -(-parse_size(memory) // _MIB)
    return ContainerLimits(memory=mib * _MIB, pids=pids, cpus=_clamp(cpus, engine))


def log_rotation(resources: Resources) -> LogRotation:
    """The bottle's log rotation (one setting for all its containers)."""
    logs = resources.logs
    return LogRotation(
        max_size=(logs.max_size if logs and logs.max_size else _LOG_SIZE).lower(),
        max_files=logs.max_files if logs and logs.max_files else _LOG_FILES,
    )


def storage_bytes(resources: Resources) -> int:
    """The cap on the agent's writable volumes (workspace and home together)."""
    return parse_size(resources.storage or DEFAULT_STORAGE)
