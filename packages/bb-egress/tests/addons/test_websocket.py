"""Specification of bb_egress.addons.websocket: client messages scanned, history trimmed."""

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow
from mitmproxy.websocket import WebSocketMessage
from wsproto.frame_protocol import Opcode

from bb_egress import ws_guard
from bb_egress.addons import META_VERDICT, WEBSOCKET_HISTORY, WebsocketGuard
from bb_egress.policy import Denied


class Scanner:
    def __init__(self, finds: bool) -> None:
        self.finds = finds
        self.scanned: list[bytes] = []

    async def process(self, flow: http.HTTPFlow, route: object, bottle: str) -> str | Denied:
        return "allow"

    async def scan_websocket(
        self, flow: http.HTTPFlow, content: bytes, is_text: bool
    ) -> Denied | None:
        self.scanned.append(content)
        return Denied("websocket-secret", "found", "h", 443) if self.finds else None

    def last_detectors(self, flow: http.HTTPFlow) -> tuple[str, ...]:
        return ("d",) if self.finds else ()

    def text_detectors(self, text: str) -> tuple[str, ...]:
        return ()


def _flow(message: WebSocketMessage) -> http.HTTPFlow:
    flow = tflow.twebsocketflow()
    assert flow.websocket is not None
    flow.websocket.messages.append(message)
    return flow


@pytest.mark.anyio
@pytest.mark.parametrize("finds", [True, False])
async def test_a_client_message_with_a_finding_is_dropped_and_recorded(finds: bool) -> None:
    """Dropped with a deny verdict; a clean message is relayed with none."""
    scanner = Scanner(finds)
    guard = WebsocketGuard(scanner)  # type: ignore[arg-type]
    message = WebSocketMessage(Opcode.TEXT, True, b"hello")
    flow = _flow(message)
    with taddons.context(guard):
        await guard.websocket_message(flow)
    assert message.dropped is finds
    assert (META_VERDICT in flow.metadata) is finds


@pytest.mark.anyio
async def test_server_messages_are_not_scanned_and_history_is_trimmed() -> None:
    """Only what the agent sends is scanned; the flow keeps a short history."""
    scanner = Scanner(False)
    guard = WebsocketGuard(scanner)  # type: ignore[arg-type]
    flow = _flow(WebSocketMessage(Opcode.TEXT, False, b"from server"))
    assert flow.websocket is not None
    for _ in range(20):
        flow.websocket.messages.append(WebSocketMessage(Opcode.TEXT, False, b"x"))
    with taddons.context(guard):
        await guard.websocket_message(flow)
    assert scanner.scanned == []
    assert len(flow.websocket.messages) == WEBSOCKET_HISTORY


def test_building_the_guard_installs_the_control_frame_sanitiser() -> None:
    """Ping/pong/close reach no hook; the process-wide wrapper is in place."""
    WebsocketGuard(Scanner(False))  # type: ignore[arg-type]
    assert ws_guard.installed()
