"""The engine's boundary types: one outbound request or websocket message in, findings out.

Plain frozen dataclasses rather than pydantic models: the proxy builds one per request on the
hot path and the engine never parses untrusted structure into them (the addon fills them from
mitmproxy's already-parsed flow). Everything is immutable so a scan can run in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "SEVERITIES",
    "DlpConfigError",
    "DlpError",
    "Finding",
    "OutboundRequest",
    "ScanResult",
    "WebSocketMessage",
]

SEVERITIES: Final = ("info", "medium", "high", "critical")
"""Severity names, least to most severe."""


class DlpError(Exception):
    """Root of every error the DLP engine raises."""


class DlpConfigError(DlpError):
    """The DLP configuration is unusable (unknown detector name, bad prefix list)."""


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """One HTTP request as the agent sent it; ``path`` includes the query string."""

    method: str
    scheme: str
    host: str
    port: int
    path: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class WebSocketMessage:
    """One reassembled client-to-server websocket message."""

    host: str
    path: str
    content: bytes
    is_text: bool


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the engine objects to.

    ``matched`` is the raw substring as it appears in the surface (or in the decoded body):
    the proxy uses it to redact and to ask for approval. It is never logged or written; use
    ``preview`` for anything a human or a log sees. ``span`` is the offset of ``matched`` in
    the surface's text (the decoded body for ``body``); when ``redactable`` is false the value
    could not be located in the request as sent (it was only visible after decoding) and the
    span refers to the decoded view it was found in.
    """

    detector: str
    surface: str
    span: tuple[int, int]
    severity: str
    preview: str
    matched: str = field(repr=False)
    secret_name: str | None
    redactable: bool


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Every finding of one scan, in surface order."""

    findings: tuple[Finding, ...] = ()
    pieces: tuple[tuple[str, tuple[int, ...]], ...] = ()
    """(secret name, offsets in its projection) of the pieces seen of secrets not reported:
    what a caller keeps to join a secret split across requests (offsets only, no text)."""

    @property
    def clean(self) -> bool:
        """True when nothing was found."""
        return not self.findings
