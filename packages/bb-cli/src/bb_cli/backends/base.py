"""The seam between the CLI and a container runtime: `BottleBackend`.

Docker Compose (`bb_cli.backends.compose`), macOS ``container``
(`bb_cli.backends.apple_container`) and smolmachines (`bb_cli.backends.smolvm`) implement
the same methods. Commands only ever see this interface and
`bb_cli.backends.registry.get_bottle_backend`, which imports a backend by name when asked
(this module imports none of them).

Three parts exist for fleets (docs/scale-out.md), so that a backend whose bottles are not
on this host (Kubernetes) can follow without changing the commands: `BottleAddress` names a
bottle by backend, context (which Docker engine or cluster and namespace) and slug;
`BottleBackend.statuses` lists many bottles in one call; `BottleBackend.approval_queue`
hands the operator a bottle's queue through the `ApprovalQueue` seam instead of a path
on this host.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from bb_cli.applicator.approval_queue import ApprovalQueue
from bb_cli.backends.registry import BACKENDS
from bb_cli.plan import BottlePlan
from bb_protocol.paths import check_slug

if TYPE_CHECKING:
    from bb_cli.applicator.reload import ReloadSignal

__all__ = [
    "LOCAL_CONTEXT",
    "ApprovalQueue",
    "BottleAddress",
    "BottleBackend",
    "BottleStatus",
    "Progress",
]

LOCAL_CONTEXT: Final = "local"
"""The context of a bottle whose state and queue are on this host (every backend today)."""

_CONTEXT: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:/-]{0,252}$")
"""A kube context (which may hold ``:`` and ``/``, as EKS ARNs do), then ``/namespace``."""


@dataclass(frozen=True, order=True)
class BottleAddress:
    """Which bottle, in a fleet: ``<backend>:<context>/<slug>``, e.g. ``kubernetes:prod/ns/x``.

    A slug is unique only within one context (one Docker engine, one cluster namespace),
    so a fleet-wide command or TUI row names all three. ``context`` is the backend's own
    word for where its bottles live: ``local`` for this host, a kube context optionally
    followed by ``/namespace`` for a cluster.
    """

    backend: str
    """A key of `bb_cli.backends.registry.BACKENDS`."""
    context: str
    """Where the backend's bottles live (``local``: this host)."""
    slug: str
    """The bottle's slug within that context."""

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            known = ", ".join(BACKENDS)
            raise ValueError(f"unknown backend {self.backend!r} in address; known: {known}")
        if not _CONTEXT.fullmatch(self.context):
            raise ValueError(f"invalid context {self.context!r} in address")
        check_slug(self.slug)

    def __str__(self) -> str:
        return f"{self.backend}:{self.context}/{self.slug}"

    @classmethod
    def parse(cls, text: str, *, default_backend: str = "compose") -> BottleAddress:
        """``slug``, ``backend:slug`` or ``backend:context/slug``; `ValueError` otherwise.

        A bare slug or ``backend:slug`` is on this host (context ``local``).
        """
        backend, sep, rest = text.partition(":")
        if not sep:
            backend, rest = default_backend, text
        context, _, slug = rest.rpartition("/")
        return cls(backend=backend, context=context or LOCAL_CONTEXT, slug=slug)


Progress = Callable[[str, str], None]
"""Called with (step, state) as ``bb start`` proceeds; state is ``start``, ``done``."""


@dataclass(frozen=True)
class BottleStatus:
    """What a backend knows about one bottle right now."""

    slug: str
    state: str
    """``running``, ``stopped``, ``partial`` or ``absent``."""
    containers: dict[str, str] = field(default_factory=dict)
    """Service -> container state."""


class BottleBackend(ABC):
    """Runs bottles; every method takes a slug or a plan, never a manifest."""

    name: str

    @abstractmethod
    def start(self, plan: BottlePlan, progress: Progress) -> None:
        """Bring the bottle up hardened and assert it, or tear it down and raise `StartError`."""

    @abstractmethod
    def status(self, slug: str) -> BottleStatus:
        """The bottle's containers and their states."""

    @abstractmethod
    def exec(self, slug: str, argv: Sequence[str], *, tty: bool) -> int:
        """Run a command in the agent container; its exit code."""

    @abstractmethod
    def attach(self, slug: str, argv: Sequence[str]) -> int:
        """Run the agent runtime (``argv``) interactively in the agent container."""

    @abstractmethod
    def logs(
        self,
        slug: str,
        components: Sequence[str],
        *,
        follow: bool,
        tail: int | None = None,
        since: str | None = None,
    ) -> int:
        """Print the logs of ``components`` (every one when empty), each line prefixed by its
        component when there are several; ``tail`` lines each, those after ``since``."""

    @abstractmethod
    def stop(self, slug: str) -> None:
        """Stop the containers, keeping them and the volumes."""

    @abstractmethod
    def remove(self, slug: str) -> None:
        """Remove containers, networks and the bottle's volumes."""

    def reload_signal(self, slug: str) -> ReloadSignal:
        """How ``bb queue`` tells this bottle's proxy to re-read its routes.

        The routes change itself is backend-independent (`EgressApplicator`); only the
        signal differs. Default: SIGHUP to the compose egress container.
        """
        from bb_cli.applicator.reload import DockerReloadSignal

        return DockerReloadSignal(slug=slug)

    context: str = LOCAL_CONTEXT
    """Where this backend instance's bottles live; every current backend: this host."""

    def address(self, slug: str) -> BottleAddress:
        """The fleet-wide address of ``slug`` on this backend."""
        return BottleAddress(backend=self.name, context=self.context, slug=slug)

    def statuses(self, slugs: Sequence[str]) -> dict[str, BottleStatus]:
        """Many bottles' status at once (``bb list``, the TUI over a fleet).

        Default: one `status` call per bottle. A backend whose engine can list all of its
        bottles in one request (``docker ps`` with a label filter, one pod list with a
        label selector) overrides it, so listing a fleet costs one round trip.
        """
        return {slug: self.status(slug) for slug in slugs}

    def approval_queue(self, slug: str) -> ApprovalQueue:
        """The operator's access to ``slug``'s approval queue.

        Default: the `QueueStore` at the bottle's queue directory on this host. A remote
        backend returns a client of the same contract (docs/scale-out.md).
        """
        from bb_protocol.paths import queue_dir
        from bb_protocol.queue import QueueStore

        return QueueStore(queue_dir(slug))
