"""Errors of the host-side decision path.

The tree::

    ApplyError (Exception)
    ├── InvalidChangeError (ValueError)  the change would make the routes invalid; old routes stay
    ├── ReloadError (RuntimeError)       the proxy could not be told to reload; file rolled back
    └── BottleNotFoundError (LookupError) no bottle holds that proposal (or has that slug)
"""

from __future__ import annotations

__all__ = ["ApplyError", "BottleNotFoundError", "InvalidChangeError", "ReloadError"]


class ApplyError(Exception):
    """Root of every error applying an operator's decision on the host."""


class InvalidChangeError(ApplyError, ValueError):
    """The routes change is invalid; nothing was written and the old routes stay."""


class ReloadError(ApplyError, RuntimeError):
    """The egress proxy could not be told to reload; the routes file was restored."""


class BottleNotFoundError(ApplyError, LookupError):
    """No bottle's queue holds the proposal, or no bottle has the slug."""
