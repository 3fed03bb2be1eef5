"""The smolmachines backend: the agent in a microVM, the sidecars on docker compose."""

from __future__ import annotations

from bb_cli.backends.smolvm.backend import SmolvmBackend

__all__ = ["SmolvmBackend"]
