"""The egress audit log: one JSON line per decision, readable by the host (``bb`` shows it).

A line names the time, bottle, method, host, port, path, route, decision and detector
names. It never holds a secret value or a body: the query string is always dropped, and a
path in which the DLP engine found something is replaced by ``[redacted]``.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AuditLog", "AuditRecord", "Decision", "safe_path"]

Decision = Literal["allow", "deny", "redact", "approved"]
"""What happened: forwarded, refused, forwarded after redaction, or forwarded on approval."""

_MAX_PATH: Final = 512


def safe_path(target: str, *, tainted: bool) -> str:
    """The path as logged: query and fragment dropped, ``[redacted]`` when it held a finding."""
    if tainted:
        return "[redacted]"
    path = target.split("?", 1)[0].split("#", 1)[0]
    return path[:_MAX_PATH]


class AuditRecord(BaseModel):
    """One decision of the egress proxy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    """When the decision was taken (UTC)."""

    bottle: str
    """The bottle's slug."""

    method: str
    """HTTP method (``CONNECT`` for tunnel decisions, ``WS`` for websocket messages)."""

    host: str
    """Destination host as requested (normalised when it could be)."""

    port: int
    """Destination port."""

    path: str = ""
    """Request path without query; ``[redacted]`` when it carried a finding."""

    route: str | None = None
    """The matching route as ``scheme://host:port``, or `None` when none matched."""

    decision: Decision
    """The outcome."""

    reason: str | None = None
    """The denial reason code (see `bb_egress.policy.DenyReason`), if denied."""

    detectors: tuple[str, ...] = ()
    """Names of the DLP detectors that fired (never the matched values)."""


class AuditLog:
    """Appends records to a file (created 0640), one JSON line each, thread-safe."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)

    def write(self, record: AuditRecord) -> None:
        """Append ``record``; with no path configured, records are discarded."""
        line = (record.model_dump_json() + "\n").encode()
        with self._lock:
            if self._fd is not None:
                os.write(self._fd, line)

    def close(self) -> None:
        """Close the file; later writes are discarded."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
