"""The real DLP engine inside the real proxy: redaction reaches the origin, credentials are
injected, and nothing the agent sends can replace them."""

from __future__ import annotations

import json
import secrets
import socket

import pytest
from tests.integration.egress.conftest import Origin, Proxy, real_scanner

SECRET = "zq7XkP2mVb9LrT4wN8cHs3JdF6gY1uEa"
INJECTED = "ghs_Injected0123456789abcdefABCDEFghij"
ENV = {"EGRESS_TOKEN_UPLOAD": SECRET, "EGRESS_TOKEN_FORGE": INJECTED}


@pytest.fixture
def scanner() -> object:
    """The real engine with the proxy's known secrets."""
    return real_scanner(ENV)


def _send(proxy: Proxy, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
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


def _routes(proxy: Proxy, origin: Origin, extra: str) -> None:
    proxy.routes_file.write_text(
        f"routes:\n  - host: origin.test\n    scheme: http\n    port: {origin.port}\n{extra}"
    )
    assert proxy.store.reload()


def test_a_redact_route_forwards_the_request_with_the_value_scrubbed(
    proxy: Proxy, origin: Origin
) -> None:
    """The origin receives REDACTED where the secret was, in the query and the body."""
    _routes(proxy, origin, "    provider: true\n")
    body = f"prompt: here is {SECRET} ok".encode()
    host = f"origin.test:{origin.port}"
    raw = (
        f"POST http://{host}/v1?k={SECRET} HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    assert _send(proxy, raw).startswith(b"HTTP/1.1 200")
    (_method, path, headers) = origin.seen[0]
    assert SECRET not in path
    assert "REDACTED" in path
    assert int(headers["Content-Length"]) == len(body) - len(SECRET) + len("REDACTED")


def test_the_injected_credential_replaces_the_agents_and_is_not_a_finding(
    proxy: Proxy, origin: Origin
) -> None:
    """The agent's Authorization never leaves; the route's does, and is not flagged."""
    _routes(
        proxy,
        origin,
        "    outbound_on_match: block\n    inject_over_http: true\n    inject_headers:\n"
        '      Authorization: "Bearer ${EGRESS_TOKEN_FORGE}"\n',
    )
    host = f"origin.test:{origin.port}"
    raw = (
        f"GET http://{host}/repos HTTP/1.1\r\nHost: {host}\r\n"
        "Authorization: Bearer agent-made-this-up\r\n\r\n"
    ).encode()
    assert _send(proxy, raw).startswith(b"HTTP/1.1 200")
    headers = origin.seen[0][2]
    assert headers["Authorization"] == f"Bearer {INJECTED}"


def test_the_agent_echoing_the_injected_credential_is_caught(proxy: Proxy, origin: Origin) -> None:
    """The engine knows every EGRESS_TOKEN_* value, so a copy in the body is blocked."""
    _routes(proxy, origin, "    outbound_on_match: block\n")
    body = f"leak={INJECTED}".encode()
    host = f"origin.test:{origin.port}"
    raw = (
        f"POST http://{host}/x HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    assert _send(proxy, raw).startswith(b"HTTP/1.1 403")
    assert origin.seen == []


def test_an_origin_echoing_the_injected_credential_never_shows_it_to_the_agent(
    proxy: Proxy, origin: Origin
) -> None:
    """Echoed in a response header and the body, the real value reaches the agent as REDACTED."""
    _routes(
        proxy,
        origin,
        "    outbound_on_match: block\n    inject_over_http: true\n    inject_headers:\n"
        '      Authorization: "Bearer ${EGRESS_TOKEN_FORGE}"\n',
    )
    host = f"origin.test:{origin.port}"
    answer = _send(proxy, f"GET http://{host}/echo HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 200")
    assert origin.seen[0][2]["Authorization"] == f"Bearer {INJECTED}"
    assert INJECTED.encode() not in answer
    assert b"X-Echo-Authorization: Bearer REDACTED" in answer
    assert b"Authorization: Bearer REDACTED" in answer.partition(b"\r\n\r\n")[2]
    assert INJECTED.encode() not in answer


def _curl_in_json(token: str) -> bytes:
    """A chat request quoting a curl command: the token sits between ``\\"`` escapes."""
    content = f'run this:\ncurl -H "Authorization: Bearer {token}" https://api.example.net/v1\n'
    return json.dumps({"messages": [{"role": "user", "content": content}]}).encode()


def _post(proxy: Proxy, origin: Origin, body: bytes) -> bytes:
    host = f"origin.test:{origin.port}"
    raw = (
        f"POST http://{host}/v1/messages HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    return _send(proxy, raw)


def test_a_token_inside_a_json_string_is_blocked_by_the_catalogue(
    proxy: Proxy, origin: Origin
) -> None:
    """A bearer token quoted in a curl line inside a JSON chat message (fresh each run; no
    known secret) is a token-pattern finding: a block route refuses it, nothing is sent."""
    _routes(proxy, origin, "    outbound_on_match: block\n")
    response = _post(proxy, origin, _curl_in_json(secrets.token_hex(20)))
    assert response.startswith(b"HTTP/1.1 403")
    assert origin.seen == []


def test_a_token_inside_a_json_string_is_redacted_on_a_redact_route(
    proxy: Proxy, origin: Origin
) -> None:
    """Located back in the body as sent: the origin gets the request, the token replaced."""
    token = secrets.token_hex(20)
    body = _curl_in_json(token)
    _routes(proxy, origin, "    provider: true\n")
    assert _post(proxy, origin, body).startswith(b"HTTP/1.1 200")
    (_method, _path, headers) = origin.seen[0]
    assert int(headers["Content-Length"]) == len(body) - len(token) + len("REDACTED")


def test_a_documentation_placeholder_token_passes(proxy: Proxy, origin: Origin) -> None:
    """AWS's documented example key and an ``xxxx`` GitHub token are not findings."""
    _routes(proxy, origin, "    outbound_on_match: block\n")
    content = "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport GH=ghp_" + "x" * 36
    body = json.dumps({"messages": [{"role": "user", "content": content}]}).encode()
    assert _post(proxy, origin, body).startswith(b"HTTP/1.1 200")
    assert int(origin.seen[0][2]["Content-Length"]) == len(body)
