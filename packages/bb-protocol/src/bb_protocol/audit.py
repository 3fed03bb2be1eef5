"""The audit trail: one JSON line per decision, the same shape from every sidecar.

Why here: the egress proxy and the git gate both record what they decided, and the host
(``bb audit``, ``bb routes suggest``) reads both files as one stream. One model and one
writer keep the two in step; ``component`` says which side wrote a line.

A line never holds a secret value or a body: the egress proxy drops the query string and
replaces a path in which the DLP engine found something with ``[redacted]``; the gate
names repository, refs and the detectors that fired, never the matched text. Where the
files live on the host: `bb_protocol.paths.egress_audit_file` and
`bb_protocol.paths.gitgate_audit_file`.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AUDIT_DECISIONS",
    "AuditComponent",
    "AuditDecision",
    "AuditLog",
    "AuditRecord",
    "safe_path",
]

AuditDecision = Literal["allow", "deny", "redact", "approved", "held"]
"""What happened: forwarded, refused, forwarded after redaction, forwarded on the operator's
approval, or held for the operator (a git push waiting for a decision)."""

AUDIT_DECISIONS: Final = ("allow", "deny", "redact", "approved", "held")
"""Every `AuditDecision`, in the order the CLI lists them."""

AuditComponent = Literal["egress", "gitgate"]
"""The sidecar that took the decision."""

_MAX_PATH: Final = 512


def safe_path(target: str, *, tainted: bool) -> str:
    """The path as logged: query and fragment dropped, ``[redacted]`` when it held a finding."""
    if tainted:
        return "[redacted]"
    path = target.split("?", 1)[0].split("#", 1)[0]
    return path[:_MAX_PATH]


class AuditRecord(BaseModel):
    """One decision of a sidecar (the egress proxy or the git gate)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    """When the decision was taken (UTC)."""

    bottle: str
    """The bottle's slug."""

    component: AuditComponent = "egress"
    """Which sidecar decided (lines written before this field existed are egress lines)."""

    method: str
    """HTTP method (``CONNECT`` for tunnels, ``WS`` for websocket messages, ``PUSH`` for git)."""

    host: str
    """Destination host as requested (the repository name for the git gate)."""

    port: int
    """Destination port (0 for the git gate, which forwards over the repository's URL)."""

    path: str = ""
    """Request path without query, ``[redacted]`` when it carried a finding; the pushed refs
    (comma-separated) for the git gate."""

    route: str | None = None
    """The matching route as ``scheme://host:port``, or `None` when none matched."""

    decision: AuditDecision
    """The outcome."""

    reason: str | None = None
    """The denial reason code (egress: `bb_egress.policy.DenyReason`), if denied."""

    detectors: tuple[str, ...] = ()
    """Names of the DLP detectors (or gitleaks rules) that fired, never the matched values."""

    observed: bool = False
    """True for a request refused only because no route matched, in a bottle started with
    ``bb start --observe``: what ``bb routes suggest`` turns into routes."""


class AuditLog:
    """Appends records to a file (created 0640), one JSON line each, thread-safe.

    With ``observe`` set, a no-route denial is marked `AuditRecord.observed` (observe mode:
    the request is still refused, the record says it was an observation).
    """

    def __init__(self, path: Path | None, *, observe: bool = False) -> None:
        self.path = path
        self.observe = observe
        self._lock = threading.Lock()
        self._fd: int | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)

    def write(self, record: AuditRecord) -> None:
        """Append ``record``; with no path configured, records are discarded."""
        if self.observe and record.decision == "deny" and record.reason == "no-route":
            record = record.model_copy(update={"observed": True})
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
