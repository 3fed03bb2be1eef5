"""Errors of the host-side decision path.

The tree::

    ApplyError (BbError)                 exit 8 (the whole tree is drawn in `bb_cli.errors`)
    ├── InvalidChangeError (ValueError)  the change would make the routes invalid; old routes stay
    └── ReloadError (RuntimeError)       the proxy could not be told to reload; file rolled back

``BottleNotFoundError`` is `bb_cli.errors.BottleNotFoundError` (one class for "no such bottle"),
re-exported here for the applicator's callers.
"""

from __future__ import annotations

from bb_cli.errors import BbError, BottleNotFoundError

__all__ = ["ApplyError", "BottleNotFoundError", "InvalidChangeError", "ReloadError"]


class ApplyError(BbError):
    """Root of every error applying an operator's decision on the host."""

    exit_code = 8


class InvalidChangeError(ApplyError, ValueError):
    """The routes change is invalid; nothing was written and the old routes stay."""


class ReloadError(ApplyError, RuntimeError):
    """The egress proxy could not be told to reload; the routes file was restored."""
