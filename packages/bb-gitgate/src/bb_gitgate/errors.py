"""Every error the gate raises, under one root.

The tree::

    GitGateError(Exception)
    ├── ConfigError(GitGateError, ValueError)      the gate's config file is missing or invalid
    ├── PushRefusedError(GitGateError, PermissionError)  a push the gate will not forward
    ├── GitError(GitGateError, RuntimeError)       a git command the gate ran failed
    ├── ScanError(GitGateError, RuntimeError)      gitleaks failed or wrote an unreadable report
    └── UpstreamError(GitGateError, RuntimeError)  upstream refused or could not be reached

Every message says what went wrong and, where the agent or operator can act, what to do.
A push is refused on *any* of these (the gate fails closed).
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "GitError",
    "GitGateError",
    "PushRefusedError",
    "ScanError",
    "UpstreamError",
]


class GitGateError(Exception):
    """Root of every error raised by bb_gitgate."""


class ConfigError(GitGateError, ValueError):
    """The gate's config file is missing or invalid."""


class PushRefusedError(GitGateError, PermissionError):
    """A push the gate will not forward upstream; the message tells the agent why."""


class GitError(GitGateError, RuntimeError):
    """A git command run by the gate failed."""


class ScanError(GitGateError, RuntimeError):
    """gitleaks failed or wrote a report the gate cannot read."""


class UpstreamError(GitGateError, RuntimeError):
    """Upstream refused the forwarded push or could not be reached."""
