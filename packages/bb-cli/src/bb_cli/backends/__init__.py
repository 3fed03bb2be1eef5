"""Container backends behind one interface (`BottleBackend`)."""

from __future__ import annotations

from bb_cli.backends.base import BottleBackend, BottleStatus, Progress
from bb_cli.backends.registry import BACKENDS, get_bottle_backend

__all__ = ["BACKENDS", "BottleBackend", "BottleStatus", "Progress", "get_bottle_backend"]
