"""Real mitmproxy + egress addon + real loopback origin: what passes and what never leaves."""

from __future__ import annotations

import json
import socket

import pytest
from tests.integration.egress.conftest import Origin, Proxy


def _raw(proxy: Proxy, data: bytes) -> bytes:
    """Send raw bytes to the proxy and read until it closes (bounded by a timeout)."""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
        except TimeoutError:
            pass
    return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return head.startswith(b"HTTP/1.1 200 Connection") or True


def _get(proxy: Proxy, url: str, extra: str = "") -> bytes:
    host = url.split("/")[2]
    return _raw(proxy, f"GET {url} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode())


def test_a_routed_request_reaches_the_origin(proxy: Proxy, origin: Origin) -> None:
    """http://origin.test:<port>/ is allowed by the route and answered by the origin."""
    answer = _get(proxy, f"http://origin.test:{origin.port}/hello?x=1")
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"hello")
    assert origin.seen[0][1] == "/hello?x=1"
    audit = [json.loads(line) for line in proxy.audit_file.read_text().splitlines()]
    assert audit[-1]["decision"] == "allow"
    assert audit[-1]["path"] == "/hello"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://elsewhere.test/", "no-route"),
        ("http://127.0.0.1:{port}/", "ip-literal"),
        ("http://origin.test:1/", "no-route"),
    ],
)
def test_unrouted_requests_get_a_403_that_names_the_tool(
    proxy: Proxy, origin: Origin, url: str, reason: str
) -> None:
    """The 403 names egress-allow; the origin never sees the request."""
    answer = _get(proxy, url.format(port=origin.port))
    assert answer.startswith(b"HTTP/1.1 403")
    assert b"egress-allow" in answer
    assert f"X-Bot-Bottle-Denied: {reason}".encode() in answer
    assert origin.seen == []


def test_a_connect_to_a_private_ip_literal_is_refused(proxy: Proxy, origin: Origin) -> None:
    """CONNECT 10.0.0.1:443 and CONNECT 127.0.0.1 never open a tunnel."""
    for target in ("10.0.0.1:443", f"127.0.0.1:{origin.port}"):
        answer = _raw(proxy, f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 403"), answer[:100]


def test_a_redirect_to_a_denied_host_is_not_followed_through_the_proxy(
    proxy: Proxy, origin: Origin
) -> None:
    """The 302 reaches the client; following it is a new request, which is denied."""
    answer = _get(proxy, f"http://origin.test:{origin.port}/redirect")
    assert answer.startswith(b"HTTP/1.1 302")
    follow = _get(proxy, "http://denied.test/")
    assert follow.startswith(b"HTTP/1.1 403")
    assert [s[1] for s in origin.seen] == ["/redirect"]


def test_a_smuggling_attempt_is_rejected_before_the_origin(proxy: Proxy, origin: Origin) -> None:
    """Content-Length plus Transfer-Encoding is refused by mitmproxy's strict validation."""
    smuggle = (
        f"POST http://origin.test:{origin.port}/ HTTP/1.1\r\nHost: origin.test:{origin.port}\r\n"
        "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        f"GET http://origin.test:{origin.port}/smuggled HTTP/1.1\r\nHost: origin.test\r\n\r\n"
    ).encode()
    answer = _raw(proxy, smuggle)
    assert answer.startswith(b"HTTP/1.1 400")
    assert all(s[1] != "/smuggled" for s in origin.seen)


def test_a_host_header_differing_from_the_url_is_refused(proxy: Proxy, origin: Origin) -> None:
    """Absolute-form URL to an allowed host with a foreign Host header is fronting."""
    raw = f"GET http://origin.test:{origin.port}/ HTTP/1.1\r\nHost: evil.test\r\n\r\n".encode()
    answer = _raw(proxy, raw)
    assert answer.startswith(b"HTTP/1.1 403")
    assert origin.seen == []


def test_a_name_resolving_to_a_private_address_is_never_dialled(
    proxy: Proxy, origin: Origin
) -> None:
    """private.test resolves to 10.0.0.1; even with a route the proxy refuses to connect."""
    proxy.routes_file.write_text(
        "routes:\n  - host: private.test\n    scheme: http\n"
        f"  - host: origin.test\n    scheme: http\n    port: {origin.port}\n"
    )
    assert proxy.store.reload()
    answer = _get(proxy, "http://private.test/")
    assert answer.startswith(b"HTTP/1.1 403")
    assert b"forbidden-destination" in answer


def test_a_live_reload_opens_and_closes_routes(proxy: Proxy, origin: Origin) -> None:
    """After a reload removing the route, the same request is denied."""
    assert _get(proxy, f"http://origin.test:{origin.port}/").startswith(b"HTTP/1.1 200")
    tmp = proxy.routes_file.with_name("new.yaml")
    tmp.write_text("routes: []\n")
    tmp.replace(proxy.routes_file)
    assert proxy.store.reload()
    assert _get(proxy, f"http://origin.test:{origin.port}/").startswith(b"HTTP/1.1 403")


def test_many_keep_alive_requests_reuse_the_pinned_upstream_connection(
    proxy: Proxy, origin: Origin
) -> None:
    """Pinning the address must not defeat reuse (mitmproxy caps connections per address)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    for _ in range(12):
        conn.request("POST", f"http://origin.test:{origin.port}/x", body=b"a" * 100)
        response = conn.getresponse()
        response.read()
        assert response.status == 200
    conn.close()
    assert len(origin.seen) == 12


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_size_limit_is_refused_not_streamed(
    proxy: Proxy, origin: Origin, chunked: bool
) -> None:
    """The request limit (1 MiB here) answers 413, declared or chunked; the origin sees nothing."""
    body = b"a" * (2 * 1024 * 1024)
    framing = "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {len(body)}\r\n"
    head = (
        f"POST http://origin.test:{origin.port}/big HTTP/1.1\r\nHost: origin.test:{origin.port}\r\n"
        f"{framing}\r\n"
    ).encode()
    payload = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n" if chunked else body
    answer = _raw(proxy, head + payload)
    assert answer.startswith(b"HTTP/1.1 413")
    assert origin.seen == []


def test_non_http_bytes_inside_an_allowed_tunnel_never_reach_the_origin(
    proxy: Proxy, origin: Origin
) -> None:
    """rawtcp is off: an SSH banner in a CONNECT tunnel is not relayed as raw TCP."""
    target = f"origin.test:{origin.port}"
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
        s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        assert head.startswith(b"HTTP/1.1 200")
        s.sendall(b"SSH-2.0-OpenSSH_9.6\r\n" + b"\x00" * 64)
        try:
            reply = s.recv(4096)
        except TimeoutError:
            reply = b""
    assert not reply.startswith(b"SSH-")
    assert origin.seen == []


def test_responses_larger_than_the_body_limit_are_streamed_to_the_agent(
    proxy: Proxy, origin: Origin
) -> None:
    """The request limit guards what leaves; a 3 MiB download (limit 1 MiB here) arrives."""
    answer = _get(proxy, f"http://origin.test:{origin.port}/large")
    assert answer.startswith(b"HTTP/1.1 200")
    assert len(answer.partition(b"\r\n\r\n")[2]) == 3 * 1024 * 1024
