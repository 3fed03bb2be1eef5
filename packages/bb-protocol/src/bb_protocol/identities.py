"""Who each sidecar runs as: image users and the queue's shared group (contract facts).

The sidecar images create these users and the group (their Dockerfiles carry the same
numbers, checked by a test); the CLI renders ``user:`` from them and prepares the bottle's
state directory so that each sidecar can reach what it must and nothing else.

When the operator is not root, the sidecars run as the operator's own uid/gid (every
file of the bottle is the operator's). When the operator is root, running the sidecars as
the operator would make them uid 0, owning every root-owned file in their bind mounts; they
run instead as their image users, all with `QUEUE_GID` as their group, which owns the queue
directory (setgid, ``rwxrws---``) and can read the approval key (``rw-r-----``).
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "EGRESS_UID",
    "GITGATE_UID",
    "QUEUE_GID",
    "QUEUE_GROUP",
    "SIDECAR_UIDS",
    "SUPERVISE_UID",
    "Sidecar",
]

Sidecar = Literal["egress", "supervise", "gitgate"]
"""The long-running bot-bottle sidecars (the storage watchdog is not one: see bb-cli)."""

EGRESS_UID: Final = 10001
"""The egress image's user ``egress``."""
SUPERVISE_UID: Final = 10002
"""The supervise image's user ``supervise``."""
GITGATE_UID: Final = 10003
"""The git-gate image's user ``gitgate``."""
QUEUE_GID: Final = 10100
"""Group ``bb-queue``: every sidecar user's primary group; owns the queue when bb runs as root."""
QUEUE_GROUP: Final = "bb-queue"
"""The group's name in the images (on the host the number alone matters)."""

SIDECAR_UIDS: Final[dict[Sidecar, int]] = {
    "egress": EGRESS_UID,
    "supervise": SUPERVISE_UID,
    "gitgate": GITGATE_UID,
}
"""Sidecar -> its image user's uid."""
