"""Websockets: client messages scanned, findings dropped, control frames emptied.

Each message from the agent is scanned (`RequestScanner.scan_websocket`); a finding drops
it, so it never reaches the server. Only a short history is kept on the flow (mitmproxy
keeps every message otherwise). Ping, pong and close frames reach no hook at all; the
process-wide wrapper in `bb_egress.ws_guard` empties them, installed here. A scanner that
raises drops the message (mitmproxy would log the exception and relay it unscanned).
"""

from __future__ import annotations

from typing import Final

from mitmproxy import http

from bb_egress import ws_guard
from bb_egress.addons._flow import META_VERDICT, Verdict
from bb_egress.addons.outbound import RequestScanner
from bb_egress.policy import Denied
from bb_protocol.logging import get_logger

__all__ = ["WEBSOCKET_HISTORY", "WebsocketGuard"]

WEBSOCKET_HISTORY: Final = 8
"""Websocket messages kept on a flow after scanning (mitmproxy keeps all otherwise)."""

_log = get_logger("bb-egress.addon")


class WebsocketGuard:
    """Drops client messages with findings; trims the history."""

    def __init__(self, scanner: RequestScanner) -> None:
        self.scanner = scanner
        ws_guard.install()

    async def websocket_message(self, flow: http.HTTPFlow) -> None:
        """Scan each client message; a finding drops it. Keep only a short history."""
        if flow.websocket is None or not flow.websocket.messages:
            return
        message = flow.websocket.messages[-1]
        if message.from_client and not message.dropped:
            try:
                denied = await self.scanner.scan_websocket(flow, message.content, message.is_text)
            except Exception as exc:  # mitmproxy would log it and relay the message unscanned
                why = {"error": type(exc).__name__}
                _log.error("the websocket scan failed; message dropped", why)
                denied = Denied("websocket-secret", "the message could not be scanned", "", 0)
            if denied is not None:
                message.drop()  # type: ignore[no-untyped-call]
                flow.metadata[META_VERDICT] = Verdict(
                    "deny",
                    reason=denied.reason,
                    detectors=self.scanner.last_detectors(flow),
                    tainted=True,
                    host=flow.request.pretty_host,
                    method="WS",
                    screen=False,
                )
        if len(flow.websocket.messages) > WEBSOCKET_HISTORY:
            del flow.websocket.messages[:-WEBSOCKET_HISTORY]
