"""The seam between the CLI and a container runtime: `BottleBackend`.

Docker Compose (`bb_cli.backends.compose`), macOS ``container``
(`bb_cli.backends.apple_container`) and smolmachines (`bb_cli.backends.smolvm`) implement
the same methods. Commands only ever see this
interface and `get_bottle_backend`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bb_cli.plan import BottlePlan

if TYPE_CHECKING:
    from bb_cli.applicator.reload import ReloadSignal

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

    def reload_signal(self, slug: str) -> ReloadSignal:
        """How ``bb queue`` tells this bottle's proxy to re-read its routes.

        The routes change itself is backend-independent (`EgressApplicator`); only the
        signal differs. Default: SIGHUP to the compose egress container.
        """
        from bb_cli.applicator.reload import DockerReloadSignal

        return DockerReloadSignal(slug=slug)


def _compose() -> BottleBackend:
    from bb_cli.backends.compose import ComposeBackend

    return ComposeBackend()


def _apple_container() -> BottleBackend:
    from bb_cli.backends.apple_container import AppleContainerBackend

    return AppleContainerBackend()


def _smolvm() -> BottleBackend:
    from bb_cli.backends.smolvm import SmolvmBackend

    return SmolvmBackend()


BACKENDS: dict[str, Callable[[], BottleBackend]] = {
    "compose": _compose,
    "apple-container": _apple_container,
    "smolvm": _smolvm,
}
"""Backend name -> factory (imports lazily)."""


def get_bottle_backend(name: str) -> BottleBackend:
    """The backend called ``name``; `ValueError` listing the known ones otherwise."""
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}") from None
