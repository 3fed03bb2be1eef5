"""The DLP engine: does one request, websocket message or piece of content carry a secret?

Pure logic (no mitmproxy, no git): the proxy addon, the git gate, ``bb dlp scan`` and the
benchmark all call the same functions. Build a `DlpConfig` once (it compiles the matchers),
then call `scan_outbound` / `scan_websocket_message` per request, or `scan_content` per
pushed file, message or name list, from any thread.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
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

_HOME: Final[dict[str, str]] = {
    "ALL_DETECTOR_NAMES": "config",
    "CANARY_VAR": "config",
    "OUTBOUND_DETECTOR_NAMES": "config",
    "DlpConfig": "config",
    "precompile_static": "config",
    "secrets_in": "config",
    "scan_content": "engine",
    "scan_outbound": "engine",
    "scan_websocket_message": "engine",
    "DlpConfigError": "models",
    "DlpError": "models",
    "Finding": "models",
    "OutboundRequest": "models",
    "ScanResult": "models",
    "WebSocketMessage": "models",
    "REDACTED": "redact",
    "redact_tokens": "redact",
    "strip_crlf": "redact",
    "PARTIAL_MATCH_MIN_LEN": "secrets",
}
"""Where each public name lives. Imported on first use (PEP 562), so a process that needs one
module (the rule catalogue, the models) does not pay for all of them: ``bb dlp scan`` starts
loading the rule catalogue while the rest of the engine is still being imported."""


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"bb_dlp.{home}"), name)
    globals()[name] = value
    return value


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
