"""Request bodies without a declared length are refused while they are read, not after.

The proxy's request limit is 1 MiB here. Each test sends more than that and never ends the
body: the refusal must arrive while the upload is still open (the proxy stopped buffering),
the origin must see nothing, and the audit log must say ``body-too-large``.
"""

from __future__ import annotations

import json
import socket
import ssl

import h2.connection
import h2.events
import h2.exceptions
from tests.integration.egress.conftest import Origin, Proxy, TlsOrigin

LIMIT = 1024 * 1024
CHUNK = 64 * 1024


def _audited_reasons(proxy: Proxy) -> list[str]:
    if not proxy.audit_file.exists():
        return []
    lines = proxy.audit_file.read_text().splitlines()
    return [str(json.loads(line).get("reason")) for line in lines if line.strip()]


def test_an_endless_chunked_http1_upload_is_refused_before_it_ends(
    proxy: Proxy, origin: Origin
) -> None:
    """HTTP/1.1 chunked: a 413 arrives while the body is still open; the origin sees nothing."""
    head = (
        f"POST http://origin.test:{origin.port}/up HTTP/1.1\r\nHost: origin.test:{origin.port}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = f"{CHUNK:x}\r\n".encode() + b"a" * CHUNK + b"\r\n"
    answer = b""
    sent = 0
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
        s.sendall(head)
        try:
            while sent <= 8 * LIMIT and b"\r\n\r\n" not in answer:
                s.sendall(chunk)
                sent += CHUNK
                s.setblocking(False)
                try:
                    answer += s.recv(65536)
                except BlockingIOError:
                    pass
                finally:
                    s.setblocking(True)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the proxy closed the upload: read what it answered
        s.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer and (data := s.recv(65536)):
                answer += data
        except (TimeoutError, ConnectionResetError):
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent <= 8 * LIMIT  # refused mid-upload: the terminating chunk was never sent
    assert origin.seen == []
    assert "body-too-large" in _audited_reasons(proxy)


def test_an_endless_http2_upload_is_refused_before_it_ends(
    proxy: Proxy, tls_origin: TlsOrigin
) -> None:
    """HTTP/2 DATA frames without content-length: the stream is refused (413 or reset) while
    still open; the origin sees nothing."""
    target = f"origin.test:{tls_origin.port}"
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 200")
    context = ssl.create_default_context(cafile=str(proxy.confdir / "mitmproxy-ca-cert.pem"))
    context.set_alpn_protocols(["h2"])
    refused: str | None = None
    sent = 0
    with context.wrap_socket(sock, server_hostname="origin.test") as tls:
        assert tls.selected_alpn_protocol() == "h2"
        conn = h2.connection.H2Connection()
        conn.initiate_connection()
        headers = [
            (":method", "POST"),
            (":scheme", "https"),
            (":authority", target),
            (":path", "/up"),
        ]
        conn.send_headers(1, headers, end_stream=False)
        tls.sendall(conn.data_to_send())
        while refused is None and sent <= 8 * LIMIT:
            window = min(conn.local_flow_control_window(1), conn.max_outbound_frame_size)
            if window > 0:
                try:
                    conn.send_data(1, b"a" * window)
                except h2.exceptions.StreamClosedError:
                    refused = "reset"
                    break
                sent += window
                tls.sendall(conn.data_to_send())
                tls.setblocking(False)
            try:
                data = tls.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                data = None
            finally:
                tls.setblocking(True)
            if data == b"":
                refused = "closed"
            for event in conn.receive_data(data or b""):
                if isinstance(event, h2.events.ResponseReceived):
                    refused = dict(event.headers)[b":status"].decode()
                elif isinstance(event, h2.events.StreamReset):
                    refused = "reset"
            tls.sendall(conn.data_to_send())
    assert refused in {"413", "reset"}, refused
    assert sent <= 8 * LIMIT
    assert tls_origin.seen == []
    assert "body-too-large" in _audited_reasons(proxy)


def test_many_uploads_under_the_limit_together_are_bounded_by_the_buffer_budget(
    proxy: Proxy, origin: Origin
) -> None:
    """Twelve open uploads of 900 KiB each (each under the 1 MiB limit, 8 MiB budget): the
    ones past the proxy's total budget are refused while still open; nothing goes upstream."""
    head = (
        f"POST http://origin.test:{origin.port}/many HTTP/1.1\r\n"
        f"Host: origin.test:{origin.port}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    size = 900 * 1024
    body = f"{size:x}\r\n".encode() + b"a" * size + b"\r\n"  # never the terminating chunk
    sockets = [socket.create_connection(("127.0.0.1", proxy.port), timeout=10) for _ in range(12)]
    answers: list[bytes] = []
    try:
        for s in sockets:
            s.sendall(head + body)
        for s in sockets:
            s.settimeout(1)
            try:
                answers.append(s.recv(4096))
            except (TimeoutError, ConnectionResetError):
                answers.append(b"")
    finally:
        for s in sockets:
            s.close()
    refused = [a for a in answers if a.startswith(b"HTTP/1.1 413")]
    assert len(refused) >= 3, answers
    assert origin.seen == []
    assert "body-too-large" in _audited_reasons(proxy)
