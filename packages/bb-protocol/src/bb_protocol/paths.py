"""Where a bottle's host-side state lives; one tiny function per path.

Every host component (``bb`` commands, the operator TUI, the applicator) uses these, so
the directory the CLI creates for a bottle is the one the operator UI watches::

    <state_dir>/bottles/<slug>/queue/              the approval queue (mounted into sidecars)
    <state_dir>/bottles/<slug>/routes/routes.yaml  the egress routes (mounted into the proxy)
    <state_dir>/bottles/<slug>/approval.key        the host-only key authenticating decisions
    <state_dir>/bottles/<slug>/logs/egress-audit.jsonl          the egress proxy's audit
    <state_dir>/bottles/<slug>/gitgate/state/audit.jsonl        the git gate's audit

``state_dir`` is ``$BOT_BOTTLE_STATE_DIR`` if set, else ``$XDG_STATE_HOME/bot-bottle``,
else ``~/.local/state/bot-bottle``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

__all__ = [
    "SLUG_PATTERN",
    "STATE_DIR_ENV",
    "approval_key_file",
    "bottle_dir",
    "bottles_dir",
    "check_slug",
    "egress_audit_file",
    "gitgate_audit_file",
    "queue_dir",
    "routes_dir",
    "routes_file",
    "state_dir",
]

STATE_DIR_ENV: Final = "BOT_BOTTLE_STATE_DIR"
"""Overrides the whole state directory (tests, or an operator keeping state elsewhere)."""

SLUG_PATTERN: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
"""A bottle slug: lower-case letters, digits and inner dashes; safe as a path segment."""


def check_slug(slug: str) -> str:
    """Return ``slug`` if it is a valid bottle slug; raise `ValueError` naming it otherwise."""
    if not SLUG_PATTERN.fullmatch(slug):
        raise ValueError(
            f"invalid bottle slug {slug!r}: use 1-63 lower-case letters, digits and inner dashes"
        )
    return slug


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The root of bot-bottle's host state (not created here)."""
    env = os.environ if environ is None else environ
    if env.get(STATE_DIR_ENV):
        return Path(env[STATE_DIR_ENV])
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]) / "bot-bottle"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "state" / "bot-bottle"


def bottles_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory holding one subdirectory per bottle."""
    return state_dir(environ) / "bottles"


def bottle_dir(slug: str, environ: Mapping[str, str] | None = None) -> Path:
    """One bottle's host state directory."""
    return bottles_dir(environ) / check_slug(slug)


def queue_dir(slug: str, environ: Mapping[str, str] | None = None) -> Path:
    """The bottle's approval queue root (mounted into its sidecars, never into the agent)."""
    return bottle_dir(slug, environ) / "queue"


def routes_dir(slug: str, environ: Mapping[str, str] | None = None) -> Path:
    """The directory holding the bottle's routes file (bind-mounted into the proxy)."""
    return bottle_dir(slug, environ) / "routes"


def routes_file(slug: str, environ: Mapping[str, str] | None = None) -> Path:
    """The bottle's ``routes.yaml``."""
    return routes_dir(slug, environ) / "routes.yaml"


def approval_key_file(slug: str, environ: Mapping[str, str] | None = None) -> Path:
    """The host-only key authenticating the operator's decisions for this bottle."""
    return bottle_dir(slug, environ) / "approval.key"


def egress_audit_file(slug: str, environ: Mapping[str, str] | None = None) -> Path:
    """The egress proxy's audit log (`bb_protocol.audit`), bind-mounted from the sidecar."""
    return bottle_dir(slug, environ) / "logs" / "egress-audit.jsonl"


def gitgate_audit_file(slug: str, environ: Mapping[str, str] | None = None) -> Path:
    """The git gate's audit log (`bb_protocol.audit`), in its bind-mounted state directory."""
    return bottle_dir(slug, environ) / "gitgate" / "state" / "audit.jsonl"
