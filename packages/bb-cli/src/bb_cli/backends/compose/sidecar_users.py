"""Which uid:gid each sidecar runs as, and the launcher's refusal to run one as root.

Pure. `sidecar_user` picks the identity (`bb_protocol.identities` says why there are two
cases); `root_sidecars` reads a rendered project and names every sidecar that would run as
uid 0, or whose user is left to the image. Preparing the bottle refuses such a project
(`bb_cli.backends.state_dir.refuse_root_sidecars`: a `StartError` at its render step, before
compose.yaml is written), whatever produced it: a future render change, an overlay.

The storage watchdog is not a sidecar in this sense: it runs as uid 0 on purpose, with
every capability dropped but ``DAC_READ_SEARCH`` (Docker grants added capabilities to
uid 0 only), no network and read-only mounts, to measure volumes it cannot write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, get_args

from bb_cli.plan import HostIdentity
from bb_protocol.identities import QUEUE_GID, SIDECAR_UIDS, Sidecar

__all__ = ["SIDECARS", "SidecarUser", "root_sidecars", "sidecar_user"]

SIDECARS: Final[tuple[Sidecar, ...]] = get_args(Sidecar)
"""Services that must never run as uid 0 (named after their roles)."""


@dataclass(frozen=True)
class SidecarUser:
    """A numeric identity for compose's ``user:`` (never a name the image might remap)."""

    uid: int
    gid: int

    def compose(self) -> str:
        """The ``user:`` value, ``uid:gid``."""
        return f"{self.uid}:{self.gid}"


def sidecar_user(sidecar: Sidecar, host: HostIdentity) -> SidecarUser:
    """The operator's uid/gid when not root; the image user in the queue group when root."""
    if host.uid != 0:
        return SidecarUser(host.uid, host.gid)
    return SidecarUser(SIDECAR_UIDS[sidecar], QUEUE_GID)


def _uid_of(user: object) -> int | None:
    """The numeric uid of a compose ``user:`` value; None when it is a name or missing."""
    if not isinstance(user, str | int) or isinstance(user, bool):
        return None
    head = str(user).split(":", 1)[0].strip()
    return int(head) if head.isdigit() else None


def root_sidecars(project: Mapping[str, Any]) -> list[str]:
    """One line per sidecar service that would run as root (or as the image decides)."""
    problems: list[str] = []
    services: Mapping[str, Any] = project.get("services", {})
    for name, service in services.items():
        role = service.get("labels", {}).get("org.bot-bottle.role", name)
        if role not in SIDECARS and name not in SIDECARS:
            continue
        user = service.get("user")
        uid = _uid_of(user)
        if user is None:
            problems.append(f"{name}: no user set (the image would decide)")
        elif uid is None:
            problems.append(f"{name}: user {user!r} is not numeric (uid:gid)")
        elif uid == 0:
            problems.append(f"{name}: would run as uid 0 ({user})")
    return problems
