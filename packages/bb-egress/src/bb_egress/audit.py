"""The egress audit log: one JSON line per decision, readable by the host (``bb audit``).

The model and writer are shared with the git gate and live in `bb_protocol.audit`; this
module keeps the egress proxy's import path. A line names the time, bottle, method, host,
port, path, route, decision and detector names. It never holds a secret value or a body:
the query string is always dropped, and a path in which the DLP engine found something is
replaced by ``[redacted]``.
"""

from __future__ import annotations

from bb_protocol.audit import AuditDecision as Decision
from bb_protocol.audit import AuditLog, AuditRecord, safe_path

__all__ = ["AuditLog", "AuditRecord", "Decision", "safe_path"]
