"""Host-side observers for the resource cases (R60-R65): what one bottle costs the host.

Read from outside every bottle, never from what the agent reports: the size of a
container's log files on the host, a container's cgroup counters (memory high-water mark,
CPU throttling), a volume's bytes on the host disk, and the engine's view of a container
(running, OOM-killed, restarted). Reading ``/var/lib/docker`` and ``/sys/fs/cgroup``
needs root; without it the cases are skipped with that reason, never passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "MemorySampler",
    "cgroup_file",
    "cpu_quota",
    "host_can_observe",
    "inspect",
    "log_bytes",
    "memory_peak",
    "pids_limit",
    "throttled",
    "volume_bytes",
]


def inspect(name: str) -> dict[str, Any]:
    """``docker inspect`` of one container or volume."""
    out = subprocess.run(["docker", "inspect", name], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout)[0])


def host_can_observe() -> str | None:
    """Why the host-side observers cannot run here (None: they can)."""
    if os.geteuid() != 0:
        return "host-side observers read /var/lib/docker and /sys/fs/cgroup: needs root"
    return None


def log_bytes(container: str) -> int:
    """Bytes of every log file of ``container`` on the host, rotated ones included."""
    path = Path(str(inspect(container).get("LogPath") or ""))
    if not path.name:
        return 0
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def volume_bytes(volume: str) -> int:
    """Bytes allocated on the host disk under the volume's mountpoint."""
    mountpoint = str(inspect(volume)["Mountpoint"])
    out = subprocess.run(
        ["du", "-s", "-B1", "-x", mountpoint], capture_output=True, text=True, check=True
    ).stdout
    return int(out.split()[0])


def cgroup_file(container_id: str, controller: str, v1: str, v2: str) -> Path | None:
    """The container's cgroup file (v1 ``controller/v1`` or v2 ``v2``; cgroupfs or systemd)."""
    root = Path("/sys/fs/cgroup")
    candidates = [
        root / controller / "docker" / container_id / v1,
        root / controller / "system.slice" / f"docker-{container_id}.scope" / v1,
        root / "docker" / container_id / v2,
        root / "system.slice" / f"docker-{container_id}.scope" / v2,
    ]
    return next((p for p in candidates if p.exists()), None)


def cgroup_value(container_id: str, controller: str, v1: str, v2: str) -> str | None:
    path = cgroup_file(container_id, controller, v1, v2)
    return path.read_text() if path is not None else None


def memory_usage(container_id: str) -> int | None:
    raw = cgroup_value(container_id, "memory", "memory.usage_in_bytes", "memory.current")
    return int(raw) if raw else None


def memory_peak(container_id: str) -> int | None:
    raw = cgroup_value(container_id, "memory", "memory.max_usage_in_bytes", "memory.peak")
    return int(raw) if raw else None


def throttled(container_id: str) -> int | None:
    """``nr_throttled`` of the container's CPU controller (CFS quota throttling events)."""
    raw = cgroup_value(container_id, "cpu", "cpu.stat", "cpu.stat")
    if raw is None:
        return None
    stats = dict(line.split() for line in raw.splitlines() if line.strip())
    return int(stats.get("nr_throttled", 0))


def cpu_quota(container_id: str) -> float | None:
    """The CPU bandwidth the kernel grants the container's cgroup, in cores (None: no cap)."""
    v2 = cgroup_value(container_id, "cpu", "cpu.max.absent", "cpu.max")
    if v2 is not None:
        quota, period = v2.split()
        return None if quota == "max" else int(quota) / int(period)
    quota_raw = cgroup_value(container_id, "cpu", "cpu.cfs_quota_us", "cpu.max.absent")
    period_raw = cgroup_value(container_id, "cpu", "cpu.cfs_period_us", "cpu.max.absent")
    if quota_raw is None or period_raw is None or int(quota_raw) < 0:
        return None
    return int(quota_raw) / int(period_raw)


def pids_limit(container_id: str) -> tuple[str | None, str | None]:
    """The kernel's process cap of the container's cgroup and its events (``max N``: forks
    refused at the cap)."""
    limit = cgroup_value(container_id, "pids", "pids.max", "pids.max")
    events = cgroup_value(container_id, "pids", "pids.events", "pids.events")
    return (limit.strip() if limit else None, events.strip() if events else None)


@dataclass
class MemorySampler:
    """Samples a container's memory usage from its cgroup while a phase runs (max kept)."""

    container_id: str
    peak: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemorySampler:
        def loop() -> None:
            while not self._stop.wait(0.1):
                usage = memory_usage(self.container_id)
                if usage is not None:
                    self.peak = max(self.peak, usage)
                    self.samples += 1

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
