"""The supervise server's configuration, read once from the environment at start.

Every value is validated here so a misconfigured sidecar stops at start with a message
naming the variable, instead of failing on the agent's first call.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bb_protocol import envvars, layout
from bb_protocol.paths import check_slug
from bb_supervise.errors import ConfigError

__all__ = ["DEFAULT_LISTEN", "DEFAULT_TIMEOUT", "SuperviseConfig"]

DEFAULT_LISTEN = f"{layout.LISTEN_ALL}:{layout.SUPERVISE_PORT}"
"""Where the MCP endpoint listens unless `SUPERVISE_LISTEN` says otherwise."""

DEFAULT_TIMEOUT = 600.0
"""Seconds a tool call waits for the operator unless `SUPERVISE_DECISION_TIMEOUT` says otherwise."""


class SuperviseConfig(BaseModel):
    """Everything the server needs; built by `from_env` in the container, directly in tests."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bottle: str
    """The bottle's slug (stamped on every proposal)."""
    queue_dir: Path
    """The queue volume's mount point."""
    key_file: Path
    """The host-only approval key (mounted read-only)."""
    routes_file: Path | None = None
    """The bottle's routes file (mounted read-only), for ``list-egress-routes``."""
    egress_admin_url: str | None = None
    """The egress introspection endpoint, preferred over the file when set."""
    egress_admin_token: str | None = None
    """Bearer token for the introspection endpoint."""
    host: str = layout.LISTEN_ALL
    """Listen address."""
    port: int = Field(default=layout.SUPERVISE_PORT, ge=1, le=65535)
    """Listen port."""
    decision_timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0)
    """Seconds a call waits for the operator before it is archived as timed out."""
    poll_interval: float = Field(default=0.25, gt=0)
    """Seconds between looks at the queue while waiting."""
    progress_interval: float = Field(default=5.0, gt=0)
    """Seconds between progress notifications to the waiting client."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SuperviseConfig:
        """Read and validate the environment; raise `ConfigError` naming the bad variable."""
        env = os.environ if environ is None else environ

        def need(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ConfigError(f"{name} must be set")
            return value

        try:
            bottle = check_slug(need(envvars.BOTTLE_SLUG))
        except ValueError as exc:
            raise ConfigError(f"{envvars.BOTTLE_SLUG}: {exc}") from exc
        listen = env.get(envvars.SUPERVISE_LISTEN, DEFAULT_LISTEN)
        host, sep, port_text = listen.rpartition(":")
        if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"{envvars.SUPERVISE_LISTEN}={listen!r}: expected host:port")
        timeout_text = env.get(envvars.SUPERVISE_DECISION_TIMEOUT, str(DEFAULT_TIMEOUT))
        try:
            timeout = float(timeout_text)
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            raise ConfigError(
                f"{envvars.SUPERVISE_DECISION_TIMEOUT}={timeout_text!r}: expected seconds > 0"
            )
        routes = env.get(envvars.ROUTES_FILE)
        return cls(
            bottle=bottle,
            queue_dir=Path(need(envvars.QUEUE_DIR)),
            key_file=Path(need(envvars.APPROVAL_KEY_FILE)),
            routes_file=Path(routes) if routes else None,
            egress_admin_url=env.get(envvars.EGRESS_ADMIN_URL) or None,
            egress_admin_token=env.get(envvars.EGRESS_INTROSPECTION_TOKEN) or None,
            host=host,
            port=int(port_text),
            decision_timeout=timeout,
        )
