"""Which backends exist, by name, and how to make one: imported only when asked for.

The registry names each backend's class by its import path, so nothing here (nor in
`bb_cli.backends.base`, which the backends themselves import) imports a backend at module
level: no import circle between the interface and its implementations, and ``bb list``
with compose bottles never loads the Apple ``container`` or smolvm code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from bb_cli.backends.base import BottleBackend

__all__ = ["BACKENDS", "get_bottle_backend"]

BACKENDS: Final[dict[str, str]] = {
    "compose": "bb_cli.backends.compose:ComposeBackend",
    "apple-container": "bb_cli.backends.apple_container:AppleContainerBackend",
    "smolvm": "bb_cli.backends.smolvm:SmolvmBackend",
}
"""Backend name -> ``module:Class`` of its `BottleBackend` (imported on first use)."""


def get_bottle_backend(name: str) -> BottleBackend:
    """The backend called ``name``; `ValueError` listing the known ones otherwise."""
    try:
        module, _, attribute = BACKENDS[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}") from None
    backend: BottleBackend = getattr(importlib.import_module(module), attribute)()
    return backend
