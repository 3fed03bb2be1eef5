"""CONNECT tunnels through the real proxy to a real TLS origin: HTTP/1.1, HTTP/2, fronting."""

from __future__ import annotations

import socket
import ssl

import h2.connection
import h2.events
import pytest
from tests.integration.egress.conftest import Proxy, TlsOrigin


def _connect(proxy: Proxy, target: str) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return sock, answer


def _tls(proxy: Proxy, sock: socket.socket, sni: str, alpn: list[str]) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(proxy.confdir / "mitmproxy-ca-cert.pem"))
    context.set_alpn_protocols(alpn)
    return context.wrap_socket(sock, server_hostname=sni)


def _read_all(sock: ssl.SSLSocket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and b"content-length:" in head.lower():
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(body) >= length:
                    break
    except (TimeoutError, ssl.SSLError, ConnectionError):
        pass
    return data


def test_https_through_a_tunnel_reaches_the_origin(proxy: Proxy, tls_origin: TlsOrigin) -> None:
    """CONNECT origin.test, TLS with the proxy's CA, GET: the origin answers."""
    sock, answer = _connect(proxy, f"origin.test:{tls_origin.port}")
    assert answer.startswith(b"HTTP/1.1 200")
    with _tls(proxy, sock, "origin.test", ["http/1.1"]) as tls:
        tls.sendall(f"GET /x?y=1 HTTP/1.1\r\nHost: origin.test:{tls_origin.port}\r\n\r\n".encode())
        response = _read_all(tls)
    assert response.startswith(b"HTTP/1.1 200")
    assert response.endswith(b"secure")
    assert tls_origin.seen[0][1] == "/x?y=1"


def test_a_host_header_for_another_host_inside_the_tunnel_is_refused(
    proxy: Proxy, tls_origin: TlsOrigin
) -> None:
    """Domain fronting: CONNECT origin.test, then Host: evil.test."""
    sock, _ = _connect(proxy, f"origin.test:{tls_origin.port}")
    with _tls(proxy, sock, "origin.test", ["http/1.1"]) as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n")
        response = _read_all(tls)
    assert response.startswith(b"HTTP/1.1 403")
    assert b"host-mismatch" in response
    assert tls_origin.seen == []


def test_an_sni_for_another_host_never_reaches_the_origin(
    proxy: Proxy, tls_origin: TlsOrigin
) -> None:
    """Domain fronting by SNI: the handshake is killed or the request refused."""
    sock, _ = _connect(proxy, f"origin.test:{tls_origin.port}")
    try:
        with _tls(proxy, sock, "evil.test", ["http/1.1"]) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: origin.test:{tls_origin.port}\r\n\r\n".encode())
            response = _read_all(tls)
        assert not response.startswith(b"HTTP/1.1 200")
    except (ssl.SSLError, ConnectionError):
        pass
    assert tls_origin.seen == []


@pytest.mark.parametrize("target", ["127.0.0.1:443", "[::1]:443", "10.0.0.1:443"])
def test_a_connect_to_an_ip_literal_never_opens_a_tunnel(proxy: Proxy, target: str) -> None:
    """IP literals get 403 at CONNECT."""
    sock, answer = _connect(proxy, target)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 403")


def test_an_unrouted_host_gets_its_explanation_inside_tls(
    proxy: Proxy, tls_origin: TlsOrigin
) -> None:
    """No route: the tunnel opens with the bottle CA and the request gets the 403 as JSON.

    A client shows a CONNECT 403 only as a status; inside the tunnel the agent reads why
    and which MCP tool to call. Nothing reaches any origin.
    """
    sock, answer = _connect(proxy, "evil.test:443")
    assert answer.startswith(b"HTTP/1.1 200")
    with _tls(proxy, sock, "evil.test", ["http/1.1"]) as tls:
        tls.sendall(b"GET /x HTTP/1.1\r\nHost: evil.test\r\nAccept: application/json\r\n\r\n")
        response = _read_all(tls)
    assert response.startswith(b"HTTP/1.1 403")
    assert b'"reason": "no-route"' in response
    assert b'"tool": "egress-allow"' in response
    assert tls_origin.seen == []


def test_http2_from_the_agent_is_checked_and_forwarded(proxy: Proxy, tls_origin: TlsOrigin) -> None:
    """An h2 client gets the origin's answer; a foreign :authority gets 403."""
    sock, _ = _connect(proxy, f"origin.test:{tls_origin.port}")
    with _tls(proxy, sock, "origin.test", ["h2"]) as tls:
        assert tls.selected_alpn_protocol() == "h2"
        conn = h2.connection.H2Connection()
        conn.initiate_connection()
        for stream, authority in ((1, f"origin.test:{tls_origin.port}"), (3, "evil.test")):
            conn.send_headers(
                stream,
                [
                    (":method", "GET"),
                    (":scheme", "https"),
                    (":authority", authority),
                    (":path", "/h2"),
                ],
                end_stream=True,
            )
        tls.sendall(conn.data_to_send())
        statuses: dict[int, str] = {}
        while len(statuses) < 2:
            data = tls.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    statuses[event.stream_id] = dict(event.headers)[b":status"].decode()
            tls.sendall(conn.data_to_send())
    assert statuses == {1: "200", 3: "403"}
    assert [s[1] for s in tls_origin.seen] == ["/h2"]


def test_an_absolute_form_target_for_another_host_inside_the_tunnel_is_refused(
    proxy: Proxy, tls_origin: TlsOrigin
) -> None:
    """Origins honour the absolute-form authority over Host (RFC 9112 3.2.2): fronting."""
    sock, _ = _connect(proxy, f"origin.test:{tls_origin.port}")
    with _tls(proxy, sock, "origin.test", ["http/1.1"]) as tls:
        host = f"origin.test:{tls_origin.port}"
        tls.sendall(f"GET https://evil.test/ HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        response = _read_all(tls)
    assert not response.startswith(b"HTTP/1.1 200")
    assert tls_origin.seen == []
