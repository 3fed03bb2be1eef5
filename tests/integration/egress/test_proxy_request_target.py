"""Request targets through the real proxy: only origin-form reaches the origin (issue 16).

An HTTP/2 ``:path`` is whatever the client puts there; mitmproxy parses it as a path and,
towards an HTTP/1.1 origin, writes it verbatim into the request line. With ``:authority``
the allowed host and ``:path`` = ``https://other.example/x`` the origin received
``GET https://other.example/x HTTP/1.1`` with the allowed Host, and must honour the
absolute-form authority (RFC 9112 3.2.2): fronting onto any tenant of the allowed front
end. These tests send each non-origin form over h2 (the ``h2`` library mitmproxy ships
with) and HTTP/1.1 to a loopback origin and check that nothing reaches it, also on a
route that injects a credential (the real DLP engine and injection run in these tests).
"""

from __future__ import annotations

import socket
import ssl

import h2.config
import h2.connection
import h2.events
import pytest
from tests.integration.egress.conftest import Origin, Proxy, TlsOrigin, real_scanner

FOREIGN_TARGETS = (
    "https://evil.test/x",
    "http://evil.test/x",
    "//evil.test/x",
    "https://origin.test:8443/x",
    "http://10.0.0.1/x",
    "https://[::1]/x",
    "evil.test:443",
    "*",
    "x",
    "/\\evil.test/x",
)
"""``:path`` values that are not origin-form (for a GET): each names another target."""


INJECTED = "ghs_Injected0123456789abcdefABCDEFghij"
ENV = {"EGRESS_TOKEN_FORGE": INJECTED}


@pytest.fixture
def scanner() -> object:
    """The real DLP engine and credential injection, as the proxy runs them."""
    return real_scanner(ENV)


def _connect(proxy: Proxy, target: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer
    return sock


def _tls(proxy: Proxy, sock: socket.socket, alpn: str) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(proxy.confdir / "mitmproxy-ca-cert.pem"))
    context.set_alpn_protocols([alpn])
    return context.wrap_socket(sock, server_hostname="origin.test")


def _h2_exchange(
    proxy: Proxy, tls_origin: TlsOrigin, requests: list[tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """Send ``(method, :path)`` pairs as h2 streams in one tunnel; path -> (status, denial)."""
    authority = f"origin.test:{tls_origin.port}"
    sock = _connect(proxy, authority)
    with _tls(proxy, sock, "h2") as tls:
        assert tls.selected_alpn_protocol() == "h2"
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, validate_outbound_headers=False)
        )
        conn.initiate_connection()
        streams: dict[int, str] = {}
        for method, path in requests:
            stream = conn.get_next_available_stream_id()
            streams[stream] = path
            conn.send_headers(
                stream,
                [
                    (":method", method),
                    (":scheme", "https"),
                    (":authority", authority),
                    (":path", path),
                ],
                end_stream=True,
            )
        tls.sendall(conn.data_to_send())
        answers: dict[str, tuple[str, str]] = {}
        while len(answers) < len(streams):
            data = tls.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    headers = {k.decode(): v.decode() for k, v in event.headers}
                    answers[streams[event.stream_id]] = (
                        headers[":status"],
                        headers.get("x-bot-bottle-denied", ""),
                    )
                elif isinstance(event, h2.events.StreamReset):
                    answers[streams[event.stream_id]] = ("reset", "")
            tls.sendall(conn.data_to_send())
    return answers


def _h1_in_tunnel(proxy: Proxy, tls_origin: TlsOrigin, line: str) -> bytes:
    """One HTTP/1.1 request with request line ``line`` inside a TLS tunnel; the answer."""
    sock = _connect(proxy, f"origin.test:{tls_origin.port}")
    with _tls(proxy, sock, "http/1.1") as tls:
        host = f"origin.test:{tls_origin.port}"
        tls.sendall(f"{line}\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        try:
            while chunk := tls.recv(65536):
                data += chunk
        except (TimeoutError, ssl.SSLError, ConnectionError):
            pass
    return data


def test_http2_paths_naming_another_target_never_reach_the_origin(
    proxy: Proxy, tls_origin: TlsOrigin
) -> None:
    """Absolute, network-path, authority, asterisk and relative :path values get 403."""
    answers = _h2_exchange(
        proxy, tls_origin, [("GET", "/allowed"), *(("GET", t) for t in FOREIGN_TARGETS)]
    )
    assert answers["/allowed"] == ("200", "")
    for target in FOREIGN_TARGETS:
        assert answers[target] == ("403", "target-not-origin-form"), target
    assert [seen[1] for seen in tls_origin.seen] == ["/allowed"]


def test_an_http2_absolute_path_for_the_allowed_host_itself_is_refused(
    proxy: Proxy, tls_origin: TlsOrigin
) -> None:
    """HTTP/2 has no absolute-form (RFC 9113 8.3.1): refused even when it names the tunnel."""
    own = f"https://origin.test:{tls_origin.port}/x"
    answers = _h2_exchange(proxy, tls_origin, [("GET", own)])
    assert answers[own] == ("403", "target-not-origin-form")
    assert tls_origin.seen == []


@pytest.mark.parametrize(
    "line",
    [
        "GET http://evil.test/x HTTP/1.1",
        "GET //evil.test/x HTTP/1.1",
        "GET https://origin.test:8443/x HTTP/1.1",
        "GET http://10.0.0.1/x HTTP/1.1",
        "GET * HTTP/1.1",
        "GET /x#/../admin HTTP/1.1",
    ],
)
def test_http1_targets_naming_another_target_inside_a_tunnel_never_reach_the_origin(
    proxy: Proxy, tls_origin: TlsOrigin, line: str
) -> None:
    """The same forms in an HTTP/1.1 request line inside the tunnel are refused."""
    answer = _h1_in_tunnel(proxy, tls_origin, line)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
    assert tls_origin.seen == []


def test_a_plain_proxy_request_whose_path_is_a_network_path_never_reaches_the_origin(
    proxy: Proxy, origin: Origin
) -> None:
    """After the proxy's own absolute-form parsing, a '//host' path is still refused."""
    host = f"origin.test:{origin.port}"
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(f"GET http://{host}//evil.test/x HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
    assert b"target-not-origin-form" in answer
    assert origin.seen == []


def test_origin_form_targets_still_reach_the_origin_over_both_versions(
    proxy: Proxy, tls_origin: TlsOrigin
) -> None:
    """Paths with queries, colons and at-signs inside segments are ordinary origin-form."""
    paths = ["/a?b=https://evil.test/", "/a/b:c@d", "/"]
    answers = _h2_exchange(proxy, tls_origin, [("GET", p) for p in paths])
    assert all(answers[p] == ("200", "") for p in paths), answers
    answer = _h1_in_tunnel(proxy, tls_origin, "GET /h1?u=//evil.test HTTP/1.1")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert sorted(seen[1] for seen in tls_origin.seen) == sorted([*paths, "/h1?u=//evil.test"])


def test_on_an_injecting_route_the_credential_never_goes_out_with_a_foreign_target(
    proxy: Proxy, tls_origin: TlsOrigin
) -> None:
    """The route's credential is injected into the origin-form request only."""
    proxy.routes_file.write_text(
        f"routes:\n  - host: origin.test\n    port: {tls_origin.port}\n"
        "    outbound_on_match: block\n    inject_headers:\n"
        '      Authorization: "Bearer ${EGRESS_TOKEN_FORGE}"\n'
    )
    assert proxy.store.reload()
    answers = _h2_exchange(
        proxy, tls_origin, [("GET", "/ok"), *(("GET", t) for t in FOREIGN_TARGETS)]
    )
    assert answers["/ok"] == ("200", "")
    for target in FOREIGN_TARGETS:
        assert answers[target] == ("403", "target-not-origin-form"), target
    assert [(seen[1], seen[2]["Authorization"]) for seen in tls_origin.seen] == [
        ("/ok", f"Bearer {INJECTED}")
    ]
