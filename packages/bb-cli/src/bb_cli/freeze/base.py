"""`Freezer`: the shared ``bb commit`` flow; each backend supplies only ``_freeze()``.

The flow: the bottle must be running; the backend snapshots its agent *without stopping
it* into an image named by `snapshot_ref`; the reference is written to the bottle's state
(`write_committed_image`), marked preserved, and the caller prints `resume_hint`. At
``bb resume`` time `resume_image` answers which image to boot: the snapshot if the engine
still has it, else ``None`` with a warning (the normal agent image is built/used).

Secrets: the agent container never holds the egress CA key or real tokens (they live in
the egress container). The canary is per bottle and reaches the agent only through its
environment; each ``_freeze`` must keep the environment's values out of the image, and a
resumed bottle is planned afresh, so it gets a new canary.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bb_cli.backends.base import BottleBackend
from bb_cli.errors import BackendError
from bb_cli.freeze.state import CommittedImage, read_committed_image, write_committed_image

__all__ = ["SNAPSHOT_REPOSITORY", "FreezeResult", "Freezer", "snapshot_ref"]

SNAPSHOT_REPOSITORY = "bot-bottle-snapshot"
"""Snapshots are tagged ``bot-bottle-snapshot/<slug>:<unix time>``."""


def snapshot_ref(slug: str, now: float | None = None) -> str:
    """The image reference of a new snapshot of ``slug``."""
    return f"{SNAPSHOT_REPOSITORY}/{slug}:{int(now if now is not None else time.time())}"


@dataclass(frozen=True)
class FreezeResult:
    """What ``bb commit`` reports."""

    committed: CommittedImage
    resume_hint: str
    export_hint: str


class Freezer(ABC):
    """Snapshots a running bottle's agent; subclasses implement ``_freeze`` only."""

    def __init__(
        self, backend: BottleBackend, *, state_root: Callable[[str], Path] | None = None
    ) -> None:
        self.backend = backend
        self._state_root = state_root

    def _root(self, slug: str) -> Path | None:
        return self._state_root(slug) if self._state_root else None

    @abstractmethod
    def _freeze(self, slug: str, image: str) -> str:
        """Snapshot the running agent of ``slug`` as ``image``, leaving the bottle running.

        Returns the reference to record: ``image`` itself, or where the backend keeps the
        snapshot (smolvm: the packed ``.smolmachine`` file).
        """

    @abstractmethod
    def image_exists(self, image: str) -> bool:
        """Whether the backend's engine still has ``image``."""

    def export_hint(self, image: str) -> str:
        """How to move the snapshot to another machine (override per engine)."""
        return f"docker save {image} | gzip > snapshot.tar.gz"

    def freeze(self, slug: str, *, now: float | None = None) -> FreezeResult:
        """The shared flow: check running, ``_freeze``, record, preserve, hint."""
        status = self.backend.status(slug)
        agent = status.containers.get("agent", "absent")
        if agent != "running":
            raise BackendError(
                f"bottle {slug} is {status.state} (agent: {agent}); "
                f"only a running bottle can be committed: `bb resume {slug}` first"
            )
        image = self._freeze(slug, snapshot_ref(slug, now))
        committed = CommittedImage(slug=slug, backend=self.backend.name, image=image)
        write_committed_image(committed, self._root(slug))
        return FreezeResult(
            committed=committed,
            resume_hint=f"`bb resume {slug}` boots from {image}",
            export_hint=self.export_hint(image),
        )

    def resume_image(self, slug: str, warn: Callable[[str], None]) -> str | None:
        """The snapshot to boot ``slug`` from, or ``None`` (warned) if it is gone."""
        committed = read_committed_image(slug, self._root(slug))
        if committed is None:
            return None
        if self.image_exists(committed.image):
            return committed.image
        warn(
            f"snapshot {committed.image} of bottle {slug} no longer exists on this machine; "
            "resuming from the agent's normal image (state outside the volumes is lost)"
        )
        return None
