"""``bb commit``'s engine: one `Freezer` per backend, found by `get_freezer`.

`get_freezer` sits beside `bb_cli.backends.get_bottle_backend`: the CLI asks for the
freezer of a backend *object* and never branches on backend names.
"""

from __future__ import annotations

from collections.abc import Callable

from bb_cli.backends.base import BottleBackend
from bb_cli.freeze.base import SNAPSHOT_REPOSITORY, Freezer, FreezeResult, snapshot_ref
from bb_cli.freeze.state import CommittedImage, read_committed_image, write_committed_image

__all__ = [
    "FREEZERS",
    "SNAPSHOT_REPOSITORY",
    "CommittedImage",
    "FreezeResult",
    "Freezer",
    "get_freezer",
    "read_committed_image",
    "snapshot_ref",
    "write_committed_image",
]


def _docker(backend: BottleBackend) -> Freezer:
    from bb_cli.freeze.docker import DockerFreezer

    return DockerFreezer(backend)


def _apple_container(backend: BottleBackend) -> Freezer:
    from bb_cli.freeze.apple_container import AppleContainerFreezer

    return AppleContainerFreezer(backend)


def _smolvm(backend: BottleBackend) -> Freezer:
    from bb_cli.backends.smolvm import SmolvmBackend
    from bb_cli.freeze.smolvm import SmolvmFreezer

    if not isinstance(backend, SmolvmBackend):
        raise ValueError(f"backend {backend.name!r} is not a smolvm backend")
    return SmolvmFreezer(backend)


FREEZERS: dict[str, Callable[[BottleBackend], Freezer]] = {
    "compose": _docker,
    "apple-container": _apple_container,
    "smolvm": _smolvm,
}
"""Backend name -> freezer factory (imports lazily)."""


def get_freezer(backend: BottleBackend) -> Freezer:
    """The freezer for ``backend``; `ValueError` if the backend cannot be committed."""
    try:
        return FREEZERS[backend.name](backend)
    except KeyError:
        raise ValueError(f"backend {backend.name!r} has no freezer") from None
