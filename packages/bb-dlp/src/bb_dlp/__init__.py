"""The DLP engine: does one request, websocket message or piece of content carry a secret?

Pure logic (no mitmproxy, no git): the proxy addon, the git gate, ``bb dlp scan`` and the
benchmark all call the same functions. Build a `DlpConfig` once (it compiles the matchers),
then call `scan_outbound` / `scan_websocket_message` per request, or `scan_content` per
pushed file, message or name list, from any thread.
"""

from __future__ import annotations

from bb_dlp.config import (
    ALL_DETECTOR_NAMES,
    CANARY_VAR,
    OUTBOUND_DETECTOR_NAMES,
    DlpConfig,
    precompile_static,
    secrets_in,
)
from bb_dlp.engine import scan_content, scan_outbound, scan_websocket_message
from bb_dlp.models import (
    DlpConfigError,
    DlpError,
    Finding,
    OutboundRequest,
    ScanResult,
    WebSocketMessage,
)
from bb_dlp.redact import REDACTED, redact_tokens, strip_crlf
from bb_dlp.secrets import PARTIAL_MATCH_MIN_LEN

__all__ = [
    "ALL_DETECTOR_NAMES",
    "CANARY_VAR",
    "OUTBOUND_DETECTOR_NAMES",
    "PARTIAL_MATCH_MIN_LEN",
    "REDACTED",
    "DlpConfig",
    "DlpConfigError",
    "DlpError",
    "Finding",
    "OutboundRequest",
    "ScanResult",
    "WebSocketMessage",
    "precompile_static",
    "redact_tokens",
    "scan_content",
    "scan_outbound",
    "scan_websocket_message",
    "secrets_in",
    "strip_crlf",
]
