"""Specification of bb_egress.addons.tunnels: CONNECT decisions and the SNI guard, alone."""

from types import SimpleNamespace

import pytest
from mitmproxy import http
from mitmproxy.proxy.context import Context
from mitmproxy.test import taddons, tflow, tutils
from mitmproxy.tls import ClientHelloData

from bb_egress.addons import META_DENIED, META_VERDICT, SniGuard, TunnelGate, Verdict
from bb_egress.addons._flow import META_TUNNEL
from bb_egress.reload import RoutesStore


def _connect(host: str, port: int = 443) -> http.HTTPFlow:
    return tflow.tflow(
        req=tutils.treq(method=b"CONNECT", host=host, port=port, path=b"", content=b"")
    )


def _inner(connect: http.HTTPFlow, host: str, sni: str | None) -> http.HTTPFlow:
    flow = tflow.tflow(
        client_conn=connect.client_conn,
        req=tutils.treq(host=host, port=443, scheme=b"https", path=b"/"),
    )
    flow.client_conn.tls = True
    flow.client_conn.sni = sni
    return flow


def test_an_allowed_connect_records_an_allow_verdict_and_tags_inner_requests(
    store: RoutesStore,
) -> None:
    """The tunnel's normalised host and port travel to the next gates in metadata."""
    gate = TunnelGate(store)
    connect = _connect("API.example.com.")
    with taddons.context(gate):
        gate.http_connect(connect)
        inner = _inner(connect, "api.example.com", "api.example.com")
        gate.requestheaders(inner)
    assert connect.response is None
    assert connect.metadata[META_VERDICT] == Verdict(
        "allow", route="https://api.example.com:443", host="api.example.com"
    )
    assert inner.metadata[META_TUNNEL] == ("api.example.com", 443)
    assert gate.tunnel(connect.client_conn.id) == ("api.example.com", 443)


def test_an_ip_literal_connect_is_answered_403_at_once(store: RoutesStore) -> None:
    """No tunnel is opened for an address."""
    gate = TunnelGate(store)
    connect = _connect("93.184.215.14")
    with taddons.context(gate):
        gate.http_connect(connect)
    assert connect.response is not None
    assert connect.response.headers["X-Bot-Bottle-Denied"] == "ip-literal"
    assert gate.tunnel(connect.client_conn.id) is None


def test_an_unrouted_tunnel_is_opened_marked_refused_and_its_requests_answered(
    store: RoutesStore,
) -> None:
    """The CONNECT gets no response (TLS is completed); each request inside gets the 403."""
    gate = TunnelGate(store)
    connect = _connect("evil.example")
    with taddons.context(gate):
        gate.http_connect(connect)
        inner = _inner(connect, "evil.example", "evil.example")
        gate.requestheaders(inner)
    assert connect.response is None
    assert connect.metadata[META_DENIED] == "no-route"
    assert inner.response is not None
    assert inner.response.headers["X-Bot-Bottle-Denied"] == "no-route"


def test_a_closed_client_forgets_its_tunnel(store: RoutesStore) -> None:
    """Client ids are not reused across connections, but the table must not grow."""
    gate = TunnelGate(store)
    connect = _connect("api.example.com")
    with taddons.context(gate):
        gate.http_connect(connect)
        gate.client_disconnected(connect.client_conn)
    assert gate.tunnel(connect.client_conn.id) is None


@pytest.mark.parametrize(
    ("sni", "refused"), [("evil.example", True), (None, False), ("API.example.com", False)]
)
def test_a_mismatched_sni_is_refused_and_a_missing_one_left_to_the_host_check(
    store: RoutesStore, sni: str | None, refused: bool
) -> None:
    """sni-mismatch for another name; a request without SNI passes this guard."""
    gate = TunnelGate(store)
    guard = SniGuard(gate)
    connect = _connect("api.example.com")
    with taddons.context(gate, guard):
        gate.http_connect(connect)
        flow = _inner(connect, "api.example.com", sni)
        gate.requestheaders(flow)
        guard.requestheaders(flow)
    if refused:
        assert flow.response is not None
        assert flow.response.headers["X-Bot-Bottle-Denied"] == "sni-mismatch"
    else:
        assert flow.response is None


def test_no_handshake_is_ever_passed_through(store: RoutesStore) -> None:
    """tls_clienthello always intercepts, whatever set ignore_connection before."""
    gate = TunnelGate(store)
    guard = SniGuard(gate)
    connect = _connect("api.example.com")
    with taddons.context(gate, guard) as tctx:
        gate.http_connect(connect)
        hello = ClientHelloData(
            Context(connect.client_conn, tctx.options),
            SimpleNamespace(sni="evil.example"),  # type: ignore[arg-type]
        )
        hello.ignore_connection = True
        guard.tls_clienthello(hello)
    assert hello.ignore_connection is False
