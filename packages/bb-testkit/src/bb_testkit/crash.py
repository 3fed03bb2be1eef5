"""Crash injection for the queue's crash tests (dev only: never in a package or an image).

`kill_at_operation` makes the current process SIGKILL itself at its Nth filesystem mutation,
so a crash test hits every point of a writer's protocol reproducibly.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any, Final

__all__ = ["MUTATING_OS_CALLS", "kill_at_operation"]

MUTATING_OS_CALLS: Final = ("open", "write", "fsync", "link", "rename", "replace", "unlink")
"""The ``os`` functions the queue uses to change files; each counts as one crash point."""


def kill_at_operation(n: int) -> None:
    """SIGKILL this process at its ``n``-th mutating ``os`` call (1-based), before it runs."""
    counter = {"left": n}

    def wrap(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counter["left"] -= 1
            if counter["left"] <= 0:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)

        wrapper.__name__ = name
        return wrapper

    for name in MUTATING_OS_CALLS:
        setattr(os, name, wrap(name, getattr(os, name)))
