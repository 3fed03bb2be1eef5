"""The audit addon: last in the chain, it writes each decision the others recorded.

Gates and the DLP addon leave a `Verdict` in ``flow.metadata``; this addon pops it in the
same hook and writes one `AuditRecord` line, so each decision is logged exactly once and
in the order it was taken. A line never holds a secret: the query is dropped, a path with
a finding becomes ``[redacted]``, and a request refused before the DLP scan (no route, a
bad header...) has its host and path checked first, because the agent chose them.
"""

from __future__ import annotations

from mitmproxy import http

from bb_egress.addons._flow import META_VERDICT, Verdict
from bb_egress.addons.outbound import RequestScanner
from bb_egress.audit import AuditLog, AuditRecord, safe_path

__all__ = ["Audit"]


class Audit:
    """Writes the verdict an earlier addon recorded on the flow (once)."""

    def __init__(self, audit: AuditLog, scanner: RequestScanner, bottle: str) -> None:
        self.audit = audit
        self.scanner = scanner
        self.bottle = bottle

    def record(self, flow: http.HTTPFlow, verdict: Verdict) -> AuditRecord:
        """The audit line for ``verdict`` on ``flow``, with anything secret left out."""
        method = verdict.method or flow.request.method
        host = verdict.host if verdict.host is not None else flow.request.pretty_host
        path = "" if method == "CONNECT" else safe_path(flow.request.path, tainted=verdict.tainted)
        detectors = verdict.detectors
        if verdict.decision == "deny" and not detectors and verdict.screen:
            in_host = self.scanner.text_detectors(host)
            in_path = self.scanner.text_detectors(path) if path else ()
            if in_host:
                host = "[redacted]"
            if in_path:
                path = "[redacted]"
            detectors = tuple(sorted({*in_host, *in_path}))
        return AuditRecord(
            bottle=self.bottle,
            method=method,
            host=host,
            port=flow.request.port,
            path=path,
            route=verdict.route,
            decision=verdict.decision,
            reason=verdict.reason,
            detectors=detectors,
        )

    def _write(self, flow: http.HTTPFlow) -> None:
        verdict = flow.metadata.pop(META_VERDICT, None)
        if isinstance(verdict, Verdict):
            self.audit.write(self.record(flow, verdict))

    def http_connect(self, flow: http.HTTPFlow) -> None:
        """A tunnel allowed or refused."""
        self._write(flow)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """A request refused from its headers."""
        self._write(flow)

    def request(self, flow: http.HTTPFlow) -> None:
        """A request forwarded (with the DLP outcome) or refused from its body."""
        self._write(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        """A request body refused while it was read."""
        self._write(flow)

    def websocket_message(self, flow: http.HTTPFlow) -> None:
        """A websocket message dropped."""
        self._write(flow)
