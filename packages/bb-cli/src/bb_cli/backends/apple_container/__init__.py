"""The macOS ``container`` backend: the compose render translated to ``container run``."""

from __future__ import annotations

from bb_cli.backends.apple_container.backend import AppleContainerBackend, ContainerReloadSignal

__all__ = ["AppleContainerBackend", "ContainerReloadSignal"]
