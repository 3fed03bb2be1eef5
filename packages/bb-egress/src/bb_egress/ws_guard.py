"""Close the websocket control-frame channel: ping/pong payloads and close reasons.

mitmproxy relays ping, pong and close frames without calling any addon hook
(``mitmproxy/proxy/layers/websocket.py``: ``dst_ws.send2(ws_event)``), so a client could
move 125 bytes per ping, unscanned, to an allowed server. There is no hook to attach to,
so this module wraps ``WebsocketConnection.send2`` once per process: every control frame
sent towards a *server* leaves with an empty payload, and close frames carry only a
standard code (1000 when the client's code is not one of the RFC 6455 ones) and no reason.
Frames towards the agent are untouched.
"""

from __future__ import annotations

from typing import Any, Final

import wsproto.events
from mitmproxy import connection
from mitmproxy.proxy import commands
from mitmproxy.proxy.layers import websocket as ws_layer

__all__ = ["STANDARD_CLOSE_CODES", "install", "installed", "sanitise_outbound"]

STANDARD_CLOSE_CODES: Final = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011})
"""Close codes a client may send upstream; anything else becomes 1000."""

_MARK: Final = "_bb_egress_guarded"


def sanitise_outbound(event: wsproto.events.Event) -> wsproto.events.Event:
    """The control frame as it may leave towards a server: no payload, no reason."""
    if isinstance(event, wsproto.events.Ping):
        return wsproto.events.Ping(payload=b"")
    if isinstance(event, wsproto.events.Pong):
        return wsproto.events.Pong(payload=b"")
    if isinstance(event, wsproto.events.CloseConnection):
        code = event.code if event.code in STANDARD_CLOSE_CODES else 1000
        return wsproto.events.CloseConnection(code=code, reason=None)
    return event


def installed() -> bool:
    """True once `install` has wrapped mitmproxy's websocket sender."""
    return bool(getattr(ws_layer.WebsocketConnection.send2, _MARK, False))


def install() -> None:
    """Wrap ``WebsocketConnection.send2`` (idempotent)."""
    if installed():
        return
    original = ws_layer.WebsocketConnection.send2

    def send2(self: ws_layer.WebsocketConnection, event: Any) -> commands.SendData:
        if isinstance(self.conn, connection.Server):
            event = sanitise_outbound(event)
        return original(self, event)

    setattr(send2, _MARK, True)
    ws_layer.WebsocketConnection.send2 = send2  # type: ignore[method-assign]
