"""The names a bottle's pieces have in the engine, built in one place.

``bb start`` creates them, and ``bb queue`` (the reload signal), ``bb exec``/``cp``/``commit``,
``bb logs`` and the tests find them again by the same names, whatever backend runs the
bottle. A leaf module: it imports nothing of bb-cli, so every layer may use it.
"""

from __future__ import annotations

from typing import Final

__all__ = ["PROJECT_PREFIX", "agent_container", "project_name", "sidecar_container"]

PROJECT_PREFIX: Final = "bb-"
"""Every bottle's project (compose project, Apple network, volume prefix) starts with it."""


def project_name(slug: str) -> str:
    """The bottle's project: compose project ``bb-<slug>`` (networks ``bb-<slug>_<name>``),
    or the Apple backend's network and name prefix."""
    return f"{PROJECT_PREFIX}{slug}"


def agent_container(slug: str) -> str:
    """The agent's container name, the same under every backend (``bot-bottle-<slug>``)."""
    return f"bot-bottle-{slug}"


def sidecar_container(slug: str, role: str) -> str:
    """A named sidecar container outside compose's own naming (the storage watchdog, whose PID
    namespace the agent joins by name)."""
    return f"{agent_container(slug)}-{role}"
