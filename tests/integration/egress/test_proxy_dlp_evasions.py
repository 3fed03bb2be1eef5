"""Known secrets split or re-encoded, through the real proxy (issue 14): fresh secrets per
run, sent over a socket to mitmproxy with the egress addons and the real DLP engine."""

from __future__ import annotations

import gzip
import secrets
import socket
import string

import pytest
from tests.integration.egress.conftest import Origin, Proxy, real_scanner


def _fresh(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        if len(set(value)) >= 12:
            return value


PASSWORD = _fresh(24)
HEX = secrets.token_hex(20)
ENV = {"EGRESS_TOKEN_PASSWORD": PASSWORD, "EGRESS_TOKEN_HEX": HEX}


@pytest.fixture
def scanner() -> object:
    """The real engine with this run's fresh secrets."""
    return real_scanner(ENV)


def _send(proxy: Proxy, raw: bytes) -> bytes:
    """The answer, read until its Content-Length is complete or the proxy closes."""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
        s.sendall(raw)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            length = [
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]
            if sep and length and len(body) >= length[0]:
                break
    return data


def _routes(proxy: Proxy, origin: Origin, policy: str) -> str:
    proxy.routes_file.write_text(
        f"routes:\n  - host: origin.test\n    scheme: http\n    port: {origin.port}\n"
        f"    outbound_on_match: {policy}\n"
    )
    assert proxy.store.reload()
    return f"origin.test:{origin.port}"


def test_a_password_half_in_a_header_half_in_the_body_is_refused(
    proxy: Proxy, origin: Origin
) -> None:
    """Neither half reaches the 16-character window; together they cover the secret."""
    host = _routes(proxy, origin, "block")
    body = f'{{"note": "{PASSWORD[12:]}"}}'.encode()
    raw = (
        f"POST http://{host}/v1 HTTP/1.1\r\nHost: {host}\r\nX-Session: {PASSWORD[:12]}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    assert _send(proxy, raw).startswith(b"HTTP/1.1 403")
    assert origin.seen == []


def test_an_upper_cased_hex_secret_is_scrubbed_on_a_redact_route(
    proxy: Proxy, origin: Origin
) -> None:
    """The origin receives REDACTED where the upper-cased hex was, in the query and body."""
    host = _routes(proxy, origin, "redact")
    body = f'{{"sig": "{HEX.upper()}"}}'.encode()
    raw = (
        f"POST http://{host}/v1?s={HEX.upper()} HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    assert _send(proxy, raw).startswith(b"HTTP/1.1 200")
    (_method, path, _headers) = origin.seen[0]
    assert HEX.upper() not in path
    assert "REDACTED" in path


def test_a_gzip_transfer_encoded_chunked_body_is_refused(proxy: Proxy, origin: Origin) -> None:
    """``Transfer-Encoding: gzip, chunked``: mitmproxy de-chunks, the engine inflates."""
    host = _routes(proxy, origin, "block")
    payload = gzip.compress(f"password={PASSWORD}".encode())
    chunked = f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n"
    raw = (
        f"POST http://{host}/upload HTTP/1.1\r\nHost: {host}\r\n"
        "Transfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n"
    ).encode() + chunked
    answer = _send(proxy, raw)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:300]
    assert origin.seen == []
