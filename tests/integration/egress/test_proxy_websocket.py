"""Websockets through the real proxy: messages relayed, control frames carry nothing out."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from tests.integration.egress.conftest import Proxy, real_scanner
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    Message,
    Ping,
    Request,
    TextMessage,
)


@dataclass
class WsOrigin:
    """A loopback websocket origin recording what arrives."""

    port: int
    events: list[Event] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)


def _serve_one(listener: socket.socket, record: WsOrigin) -> None:
    conn, _ = listener.accept()
    conn.settimeout(10)
    ws = WSConnection(ConnectionType.SERVER)
    try:
        while not record.closed.is_set():
            data = conn.recv(65536)
            if not data:
                break
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, Request):
                    conn.sendall(ws.send(AcceptConnection()))
                    continue
                record.events.append(event)
                if isinstance(event, Ping):
                    conn.sendall(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    conn.sendall(ws.send(event.response()))
                    record.closed.set()
    except (OSError, TimeoutError):
        pass
    finally:
        record.closed.set()
        conn.close()


@pytest.fixture
def ws_origin() -> Iterator[WsOrigin]:
    """Accepts one websocket connection and records its events."""
    listener = socket.create_server(("127.0.0.1", 0))
    record = WsOrigin(port=int(listener.getsockname()[1]))
    thread = threading.Thread(target=_serve_one, args=(listener, record), daemon=True)
    thread.start()
    yield record
    record.closed.set()
    listener.close()
    thread.join(10)


def test_websocket_ping_payloads_and_close_reasons_never_reach_the_server(
    proxy: Proxy, ws_origin: WsOrigin
) -> None:
    """Messages pass (the scanner found nothing); ping data and close reason are emptied."""
    proxy.routes_file.write_text(
        f"routes:\n  - host: origin.test\n    scheme: http\n    port: {ws_origin.port}\n"
    )
    assert proxy.store.reload()
    target = f"origin.test:{ws_origin.port}"
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 200")
    ws = WSConnection(ConnectionType.CLIENT)
    sock.sendall(ws.send(Request(host=target, target="/ws")))
    accepted = False
    while not accepted:
        ws.receive_data(sock.recv(65536))
        accepted = any(isinstance(e, AcceptConnection) for e in ws.events())
    sock.sendall(ws.send(Ping(payload=b"exfiltrated-bytes")))
    sock.sendall(ws.send(TextMessage(data="hello")))
    sock.sendall(ws.send(CloseConnection(code=4321, reason="more-exfiltrated-bytes")))
    assert ws_origin.closed.wait(10)
    sock.close()
    pings = [e for e in ws_origin.events if isinstance(e, Ping)]
    messages = [e for e in ws_origin.events if isinstance(e, Message)]
    closes = [e for e in ws_origin.events if isinstance(e, CloseConnection)]
    assert [bytes(p.payload) for p in pings] == [b""]
    assert [m.data for m in messages] == ["hello"]
    assert [(c.code, c.reason or "") for c in closes] == [(1000, "")]


SECRET = "zq7XkP2mVb9LrT4wN8cHs3JdF6gY1uEa"


@pytest.fixture
def scanner() -> object:
    """The real DLP engine, knowing SECRET as an EGRESS_TOKEN_* value."""
    return real_scanner({"EGRESS_TOKEN_WS": SECRET})


def test_a_websocket_message_carrying_a_secret_is_dropped(
    proxy: Proxy, ws_origin: WsOrigin
) -> None:
    """With the real engine: the clean message arrives, the one with the secret does not."""
    proxy.routes_file.write_text(
        f"routes:\n  - host: origin.test\n    scheme: http\n    port: {ws_origin.port}\n"
    )
    assert proxy.store.reload()
    target = f"origin.test:{ws_origin.port}"
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    ws = WSConnection(ConnectionType.CLIENT)
    sock.sendall(ws.send(Request(host=target, target="/ws")))
    accepted = False
    while not accepted:
        ws.receive_data(sock.recv(65536))
        accepted = any(isinstance(e, AcceptConnection) for e in ws.events())
    sock.sendall(ws.send(TextMessage(data=f"token {SECRET}")))
    sock.sendall(ws.send(TextMessage(data="clean")))
    sock.sendall(ws.send(CloseConnection(code=1000)))
    assert ws_origin.closed.wait(10)
    sock.close()
    messages = [e.data for e in ws_origin.events if isinstance(e, Message)]
    assert messages == ["clean"]
    audit = proxy.audit_file.read_text()
    assert '"method":"WS"' in audit
    assert SECRET not in audit
