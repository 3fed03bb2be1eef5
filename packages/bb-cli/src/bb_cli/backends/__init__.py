"""Container backends behind one interface (`BottleBackend`)."""

from __future__ import annotations

from bb_cli.backends.base import BACKENDS, BottleBackend, BottleStatus, Progress, get_bottle_backend

__all__ = ["BACKENDS", "BottleBackend", "BottleStatus", "Progress", "get_bottle_backend"]
