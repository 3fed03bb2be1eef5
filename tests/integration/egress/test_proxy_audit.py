"""The audit log of the real proxy with the real DLP engine: every decision, never a secret.

What ``bb audit`` shows is this file; whatever channel the agent puts a known secret in
(path, query, header, body; on a redact route and on a block route, and to a host with no
route), the line names the decision and the detectors and never holds the value.
"""

from __future__ import annotations

import json

import pytest
from tests.integration.egress.conftest import Origin, Proxy, real_scanner
from tests.integration.egress.test_proxy_dlp import ENV, SECRET, _routes, _send

__all__ = ["ENV"]


@pytest.fixture
def scanner() -> object:
    """The real engine with the proxy's known secrets."""
    return real_scanner(ENV)


def _request(origin: Origin, host: str, where: str) -> bytes:
    path, header, body = "/v1/x", "", b"{}"
    if where == "path":
        path = f"/v1/{SECRET}"
    elif where == "query":
        path = f"/v1/x?k={SECRET}"
    elif where == "header":
        header = f"X-Note: {SECRET}\r\n"
    else:
        body = f'{{"k": "{SECRET}"}}'.encode()
    target = f"{host}:{origin.port}"
    return (
        f"POST http://{target}{path} HTTP/1.1\r\nHost: {target}\r\n{header}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


@pytest.mark.parametrize("where", ["path", "query", "header", "body"])
@pytest.mark.parametrize(
    ("route_extra", "host", "decision"),
    [
        ("    provider: true\n", "origin.test", "redact"),
        ("    outbound_on_match: block\n", "origin.test", "deny"),
        ("", "denied.test", "deny"),
    ],
)
def test_a_secret_in_any_channel_never_reaches_the_audit_line(
    proxy: Proxy, origin: Origin, where: str, route_extra: str, host: str, decision: str
) -> None:
    """The line says what was decided (and which detectors fired); the value is nowhere."""
    _routes(proxy, origin, route_extra)
    _send(proxy, _request(origin, host, where))
    text = proxy.audit_file.read_text()
    assert SECRET not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[-1]["decision"] == decision
    assert lines[-1]["host"] == host
    if host == "origin.test":
        assert lines[-1]["detectors"], lines[-1]
    if where == "path" and host == "origin.test":
        assert lines[-1]["path"] == "[redacted]"
