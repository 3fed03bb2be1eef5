"""Errors of the supervise sidecar.

The tree::

    SuperviseError (Exception)
    ├── ConfigError (ValueError)        the environment does not describe a usable server
    └── RoutesUnavailableError (OSError) the current routes cannot be read
"""

from __future__ import annotations

__all__ = ["ConfigError", "RoutesUnavailableError", "SuperviseError"]


class SuperviseError(Exception):
    """Root of every error raised by `bb_supervise`."""


class ConfigError(SuperviseError, ValueError):
    """The environment does not describe a usable server; the message names the variable."""


class RoutesUnavailableError(SuperviseError, OSError):
    """The bottle's current routes cannot be read (file missing, proxy not answering)."""
