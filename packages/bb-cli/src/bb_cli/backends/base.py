"""The seam between the CLI and a container runtime: `BottleBackend`.

Docker Compose is the one implementation (`bb_cli.backends.compose`); macOS ``container``
and smolmachines can follow by implementing the same methods. Commands only ever see this
interface and `get_bottle_backend`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bb_cli.plan import BottlePlan

__all__ = ["BACKENDS", "BottleBackend", "BottleStatus", "Progress", "get_bottle_backend"]

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
    def logs(self, slug: str, component: str, *, follow: bool) -> int:
        """Print a component's logs."""

    @abstractmethod
    def stop(self, slug: str) -> None:
        """Stop the containers, keeping them and the volumes."""

    @abstractmethod
    def remove(self, slug: str) -> None:
        """Remove containers, networks and the bottle's volumes."""


def _compose() -> BottleBackend:
    from bb_cli.backends.compose import ComposeBackend

    return ComposeBackend()


BACKENDS: dict[str, Callable[[], BottleBackend]] = {"compose": _compose}
"""Backend name -> factory (imports lazily)."""


def get_bottle_backend(name: str) -> BottleBackend:
    """The backend called ``name``; `ValueError` listing the known ones otherwise."""
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}") from None
