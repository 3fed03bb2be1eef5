"""Specification of `bb_egress.addons.egress_addons`: the order is the security argument.

mitmproxy calls each hook on every addon in registration order; these tests pin that
order, then check from the outside that a flow refused by any addon stays refused through
every later addon and hook (nothing scanned, resolved, injected, dialled or forwarded).
"""

import ipaddress
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from mitmproxy import hooks, http
from mitmproxy.proxy import server_hooks
from mitmproxy.proxy.context import Context
from mitmproxy.proxy.layers import http as http_layer
from mitmproxy.proxy.layers import tls as tls_layer
from mitmproxy.proxy.layers import websocket as ws_layer
from mitmproxy.test import taddons, tflow, tutils
from mitmproxy.tls import ClientHelloData
from mitmproxy.websocket import WebSocketMessage
from wsproto.frame_protocol import Opcode

from bb_egress.addons import (
    META_DENIED,
    Audit,
    BodyLimit,
    CaExport,
    DestinationGuard,
    HeaderGuard,
    NonHttpGuard,
    OutboundDlp,
    ResponseScrubber,
    RouteGate,
    SafeOptions,
    SniGuard,
    TunnelGate,
    WebsocketGuard,
    egress_addons,
)
from bb_egress.addons._flow import deny
from bb_egress.audit import AuditLog
from bb_egress.destinations import DestinationPolicy, IPAddress
from bb_egress.policy import Denied
from bb_egress.reload import RoutesStore
from bb_egress.responses import META_INJECTED
from bb_protocol.routes import Route

ROUTES = "routes:\n  - host: api.example.com\n    methods: [GET]\n"


class Recorder:
    """A scanner and resolver that record every call and inject a marker when asked."""

    def __init__(self, *, raises: bool = False) -> None:
        self.calls: list[str] = []
        self.raises = raises

    async def process(self, flow: http.HTTPFlow, route: Route, bottle: str) -> str | Denied:
        self.calls.append("process")
        if self.raises:
            raise RuntimeError("scanner bug")
        flow.request.headers["Authorization"] = "Bearer injected"
        return "allow"

    async def scan_websocket(
        self, flow: http.HTTPFlow, content: bytes, is_text: bool
    ) -> Denied | None:
        self.calls.append("scan_websocket")
        if self.raises:
            raise RuntimeError("scanner bug")
        return None

    def last_detectors(self, flow: http.HTTPFlow) -> tuple[str, ...]:
        return ()

    def text_detectors(self, text: str) -> tuple[str, ...]:
        return ()

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.calls.append(f"resolve {host}")
        return [ipaddress.ip_address("93.184.215.14")]


def _chain(tmp_path: Path, recorder: Recorder) -> list[object]:
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES)
    return egress_addons(
        store=RoutesStore(routes),
        scanner=recorder,
        audit=AuditLog(tmp_path / "audit.jsonl"),
        bottle="test-bottle",
        destinations=DestinationPolicy(),
        resolver=recorder.resolve,
    )


def _audit(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def _fire(tctx: taddons.context, addons: list[object], event: hooks.Hook) -> None:
    """Every addon, in order, through mitmproxy's own dispatch (with its safecall)."""
    del addons
    await tctx.master.addons.trigger_event(event)


def _request(host: str = "api.example.com") -> http.HTTPFlow:
    flow = tflow.tflow(req=tutils.treq(host=host, port=443, scheme=b"https", path=b"/v1"))
    flow.request.headers["Host"] = host
    return flow


def test_the_addons_are_registered_in_the_documented_order(tmp_path: Path) -> None:
    """Process guards, tunnel, headers, size, SNI, route, destination, DLP, responses,
    websockets, audit: the one list `bb-egress run` registers."""
    order = [type(a) for a in _chain(tmp_path, Recorder())]
    assert order == [
        SafeOptions,
        NonHttpGuard,
        CaExport,
        TunnelGate,
        HeaderGuard,
        BodyLimit,
        SniGuard,
        RouteGate,
        DestinationGuard,
        OutboundDlp,
        ResponseScrubber,
        WebsocketGuard,
        Audit,
    ]


def test_every_gate_comes_before_the_dlp_and_injection_and_audit_comes_last(
    tmp_path: Path,
) -> None:
    """Deny before inject; resolve only after a route allowed; audit sees every decision."""
    order = [type(a) for a in _chain(tmp_path, Recorder())]
    gates = [TunnelGate, HeaderGuard, BodyLimit, SniGuard, RouteGate, DestinationGuard]
    assert max(order.index(g) for g in gates) < order.index(OutboundDlp)
    assert order.index(RouteGate) < order.index(DestinationGuard)
    assert order[-1] is Audit


def test_the_tunnel_gate_and_sni_guard_share_one_tunnel_table(tmp_path: Path) -> None:
    """The SNI guard reads the tunnels the tunnel gate opened (not a copy)."""
    addons = _chain(tmp_path, Recorder())
    (tunnels,) = [a for a in addons if isinstance(a, TunnelGate)]
    (sni,) = [a for a in addons if isinstance(a, SniGuard)]
    assert sni.tunnels is tunnels


def _refused() -> Denied:
    return Denied("no-route", "refused by an earlier addon", "api.example.com", 443)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "hook", [http_layer.HttpRequestHeadersHook, http_layer.HttpRequestHook], ids=str
)
async def test_a_request_refused_earlier_stays_refused_through_every_addon(
    tmp_path: Path, hook: type[hooks.Hook]
) -> None:
    """An allowed host, but already answered with a 403: nothing resolves, scans, injects
    or rewrites it, and the 403 is what leaves."""
    recorder = Recorder()
    addons = _chain(tmp_path, recorder)
    flow = _request()
    with taddons.context(*addons) as tctx:
        deny(flow, _refused())
        response = flow.response
        await _fire(tctx, addons, hook(flow))
    assert flow.response is response
    assert recorder.calls == []
    assert flow.request.host == "api.example.com"
    assert "Authorization" not in flow.request.headers


@pytest.mark.anyio
async def test_a_refused_connect_stays_refused_and_its_tunnel_never_dials(
    tmp_path: Path,
) -> None:
    """http_connect refused (IP literal): no later addon opens the tunnel; a refused
    tunnel's server connection is refused whatever asks for it."""
    recorder = Recorder()
    addons = _chain(tmp_path, recorder)
    connect = tflow.tflow(
        req=tutils.treq(method=b"CONNECT", host="evil.example", port=443, path=b"", content=b"")
    )
    with taddons.context(*addons) as tctx:
        await _fire(tctx, addons, http_layer.HttpConnectHook(connect))
        assert connect.metadata[META_DENIED] == "no-route"
        server = tflow.tserver_conn()
        server.address = ("evil.example", 443)
        data = server_hooks.ServerConnectionHookData(server=server, client=connect.client_conn)
        await _fire(tctx, addons, server_hooks.ServerConnectHook(data))
    assert data.server.error is not None
    assert "no-route" in data.server.error
    assert recorder.calls == []


@pytest.mark.anyio
async def test_a_refused_server_connection_is_not_reopened_by_a_later_addon(
    tmp_path: Path,
) -> None:
    """A server connection another addon already failed stays failed: no pin, no lookup."""
    recorder = Recorder()
    addons = _chain(tmp_path, recorder)
    server = tflow.tserver_conn()
    server.address = ("api.example.com", 443)
    server.error = "refused earlier"
    data = server_hooks.ServerConnectionHookData(server=server, client=tflow.tclient_conn())
    with taddons.context(*addons) as tctx:
        await _fire(tctx, addons, server_hooks.ServerConnectHook(data))
    assert data.server.error == "refused earlier"
    assert data.server.address == ("api.example.com", 443)
    assert recorder.calls == []


@pytest.mark.anyio
async def test_a_refused_tunnel_is_still_intercepted_at_tls_and_its_requests_refused(
    tmp_path: Path,
) -> None:
    """tls_clienthello never lets a refused tunnel's handshake pass through; the request
    inside still gets the 403 and nothing is resolved."""
    recorder = Recorder()
    addons = _chain(tmp_path, recorder)
    connect = tflow.tflow(
        req=tutils.treq(method=b"CONNECT", host="evil.example", port=443, path=b"", content=b"")
    )
    hello = tflow.tclient_conn()
    hello.id = connect.client_conn.id
    with taddons.context(*addons) as tctx:
        await _fire(tctx, addons, http_layer.HttpConnectHook(connect))
        data = ClientHelloData(Context(hello, tctx.options), SimpleNamespace(sni="x.example"))  # type: ignore[arg-type]
        data.ignore_connection = True
        await _fire(tctx, addons, tls_layer.TlsClienthelloHook(data))
        inner = tflow.tflow(
            client_conn=connect.client_conn,
            req=tutils.treq(host="evil.example", port=443, scheme=b"https", path=b"/"),
        )
        await _fire(tctx, addons, http_layer.HttpRequestHeadersHook(inner))
    assert data.ignore_connection is False
    assert inner.response is not None
    assert inner.response.headers["X-Bot-Bottle-Denied"] == "no-route"
    assert recorder.calls == []


@pytest.mark.anyio
async def test_a_dropped_websocket_message_is_neither_scanned_nor_revived(
    tmp_path: Path,
) -> None:
    """A message an earlier addon dropped stays dropped and is not scanned again."""
    recorder = Recorder()
    addons = _chain(tmp_path, recorder)
    flow = tflow.twebsocketflow()
    assert flow.websocket is not None
    message = WebSocketMessage(Opcode.TEXT, True, b"hello")
    message.drop()  # type: ignore[no-untyped-call]
    flow.websocket.messages.append(message)
    with taddons.context(*addons) as tctx:
        await _fire(tctx, addons, ws_layer.WebsocketMessageHook(flow))
    assert message.dropped
    assert recorder.calls == []


@pytest.mark.anyio
async def test_the_proxys_own_403_is_neither_streamed_nor_replaced(tmp_path: Path) -> None:
    """responseheaders on a refused flow: the denial stays the answer, buffered."""
    addons = _chain(tmp_path, Recorder())
    flow = _request()
    with taddons.context(*addons) as tctx:
        deny(flow, _refused())
        response = flow.response
        assert response is not None
        await _fire(tctx, addons, http_layer.HttpResponseHeadersHook(flow))
        await _fire(tctx, addons, http_layer.HttpResponseHook(flow))
    assert flow.response is response
    assert response.status_code == 403
    assert not response.stream


@pytest.mark.anyio
async def test_a_scrubbing_route_withholds_what_it_cannot_check_even_after_a_403(
    tmp_path: Path,
) -> None:
    """Denied after injection, the 403 is still scrubbed of the credential (never less)."""
    addons = _chain(tmp_path, Recorder())
    flow = _request()
    with taddons.context(*addons) as tctx:
        flow.metadata[META_INJECTED] = ("injected-value",)
        deny(flow, _refused())
        assert flow.response is not None
        flow.response.headers["X-Echo"] = "injected-value"
        await _fire(tctx, addons, http_layer.HttpResponseHeadersHook(flow))
    assert flow.response is not None
    assert "injected-value" not in flow.response.headers["X-Echo"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda f: f.request.headers.__setitem__("X-A", "a\x01b"), "header-invalid"),
        (
            lambda f: f.request.headers.__setitem__("content-length", "99999999999"),
            "body-too-large",
        ),
        (lambda f: setattr(f.request, "method", "DELETE"), "no-route"),
        (lambda f: f.request.headers.__setitem__("Host", "other.example"), "host-mismatch"),
    ],
    ids=["headers", "size", "route", "host"],
)
async def test_a_request_refused_by_any_gate_is_audited_once_and_never_scanned(
    tmp_path: Path, mutate: object, reason: str
) -> None:
    """Whichever gate refuses, later gates and the DLP leave the flow alone and the audit
    log has exactly that one denial."""
    recorder = Recorder()
    addons = _chain(tmp_path, recorder)
    flow = _request()
    assert callable(mutate)
    mutate(flow)
    with taddons.context(*addons) as tctx:
        await _fire(tctx, addons, http_layer.HttpRequestHeadersHook(flow))
        await _fire(tctx, addons, http_layer.HttpRequestHook(flow))
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == reason
    assert recorder.calls == []
    assert [(line["decision"], line["reason"]) for line in _audit(tmp_path)] == [("deny", reason)]


@pytest.mark.anyio
async def test_a_scanner_that_raises_refuses_the_request_instead_of_forwarding_it(
    tmp_path: Path,
) -> None:
    """mitmproxy logs an addon's exception and carries on; the DLP addon fails closed."""
    recorder = Recorder(raises=True)
    addons = _chain(tmp_path, recorder)
    flow = _request()
    with taddons.context(*addons) as tctx:
        await _fire(tctx, addons, http_layer.HttpRequestHeadersHook(flow))
        await _fire(tctx, addons, http_layer.HttpRequestHook(flow))
    assert flow.response is not None
    assert flow.response.status_code == 403
    assert "Authorization" not in flow.request.headers


@pytest.mark.anyio
async def test_a_websocket_scanner_that_raises_drops_the_message(tmp_path: Path) -> None:
    """An unscannable client message is dropped, never relayed."""
    addons = _chain(tmp_path, Recorder(raises=True))
    flow = tflow.twebsocketflow()
    assert flow.websocket is not None
    message = WebSocketMessage(Opcode.TEXT, True, b"hello")
    flow.websocket.messages.append(message)
    with taddons.context(*addons) as tctx:
        await _fire(tctx, addons, ws_layer.WebsocketMessageHook(flow))
    assert message.dropped
