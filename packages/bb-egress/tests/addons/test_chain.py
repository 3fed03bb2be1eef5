"""Specification of the composed egress addons (`bb_egress.addons.egress_addons`).

Each hook is fired on every addon of the chain in its registered order, as mitmproxy's
addon manager does (`Chain`), through mitmproxy's own test helpers.

The DLP side is the `RequestScanner` seam; these tests use `StandInScanner`, which answers
from a fixed verdict, because they specify the hooks (routes, fronting, destinations,
tunnels), not detection. The DLP engine has its own suite.
"""

import ipaddress
import json
from pathlib import Path

import pytest
from mitmproxy import exceptions, hooks, http, tcp, udp
from mitmproxy.addons.proxyserver import Proxyserver
from mitmproxy.connection import Client
from mitmproxy.proxy import server_hooks
from mitmproxy.proxy.layers import http as http_layer
from mitmproxy.proxy.layers import websocket as ws_layer
from mitmproxy.test import taddons, tflow, tutils

from bb_egress.addons import BodyLimit, SafeOptions, egress_addons
from bb_egress.audit import AuditLog
from bb_egress.destinations import DestinationPolicy, IPAddress
from bb_egress.policy import Denied
from bb_egress.reload import RoutesStore
from bb_protocol.routes import Route

ROUTES = """
routes:
  - host: api.example.com
  - host: files.example.com
    methods: [GET]
  - host: forms.example.com
    methods: [GET, POST]
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class StandInScanner:
    """Answers every request with ``verdict`` (an outcome string or a Denied)."""

    def __init__(self, verdict: str | Denied = "allow") -> None:
        self.verdict = verdict
        self.seen: list[str] = []

    async def process(self, flow: http.HTTPFlow, route: Route, bottle: str) -> str | Denied:
        self.seen.append(flow.request.pretty_host)
        return self.verdict

    async def scan_websocket(
        self, flow: http.HTTPFlow, content: bytes, is_text: bool
    ) -> Denied | None:
        return self.verdict if isinstance(self.verdict, Denied) else None

    def last_detectors(self, flow: http.HTTPFlow) -> tuple[str, ...]:
        return ("stand-in",) if isinstance(self.verdict, Denied) else ()

    def text_detectors(self, text: str) -> tuple[str, ...]:
        return ("stand-in",) if "secret" in text.lower() else ()


class Answers:
    """A resolver answering from a table and recording every lookup."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.lookups.append(host)
        if host not in self.table:
            raise OSError("no such host")
        return [ipaddress.ip_address(self.table[host])]


class Chain:
    """The egress addons, each hook fired on every addon in the registered order.

    Like mitmproxy's ``AddonManager.trigger_event``, minus its ``safecall``: an addon
    that raises fails the test instead of being logged.
    """

    def __init__(self, addons: list[object]) -> None:
        self.addons = addons
        self._tctx: taddons.context | None = None

    def __enter__(self) -> "Chain":
        self._tctx = taddons.context(*self.addons)
        self._tctx.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._tctx is not None
        self._tctx.__exit__(*exc)

    def addon[T](self, kind: type[T]) -> T:
        """The one addon of type ``kind`` in the chain."""
        (found,) = [a for a in self.addons if isinstance(a, kind)]
        return found

    async def fire(self, event: hooks.Hook) -> None:
        assert self._tctx is not None, "use the chain inside `with`"
        for addon in self.addons:
            await self._tctx.master.addons.invoke_addon(addon, event)

    async def http_connect(self, flow: http.HTTPFlow) -> None:
        await self.fire(http_layer.HttpConnectHook(flow))

    async def requestheaders(self, flow: http.HTTPFlow) -> None:
        await self.fire(http_layer.HttpRequestHeadersHook(flow))

    async def request(self, flow: http.HTTPFlow) -> None:
        await self.fire(http_layer.HttpRequestHook(flow))

    async def responseheaders(self, flow: http.HTTPFlow) -> None:
        await self.fire(http_layer.HttpResponseHeadersHook(flow))

    async def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        await self.fire(server_hooks.ServerConnectHook(data))

    async def client_disconnected(self, client: Client) -> None:
        await self.fire(server_hooks.ClientDisconnectedHook(client))

    async def tcp_start(self, flow: tcp.TCPFlow) -> None:
        from mitmproxy.proxy.layers.tcp import TcpStartHook

        await self.fire(TcpStartHook(flow))

    async def udp_start(self, flow: udp.UDPFlow) -> None:
        from mitmproxy.proxy.layers.udp import UdpStartHook

        await self.fire(UdpStartHook(flow))

    async def websocket_message(self, flow: http.HTTPFlow) -> None:
        await self.fire(ws_layer.WebsocketMessageHook(flow))


def _addon(
    tmp_path: Path, scanner: StandInScanner | None = None, answers: Answers | None = None
) -> Chain:
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES)
    return Chain(
        egress_addons(
            store=RoutesStore(routes),
            scanner=scanner or StandInScanner(),
            audit=AuditLog(tmp_path / "audit.jsonl"),
            bottle="test-bottle",
            destinations=DestinationPolicy(),
            resolver=answers or Answers({"api.example.com": "93.184.215.14"}),
        )
    )


def _audit(tmp_path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]


def _connect(host: str, port: int = 443) -> http.HTTPFlow:
    return tflow.tflow(
        req=tutils.treq(method=b"CONNECT", host=host, port=port, path=b"", content=b"")
    )


def _inner(
    connect: http.HTTPFlow, host: str, sni: str | None = None, method: bytes = b"GET"
) -> http.HTTPFlow:
    flow = tflow.tflow(
        client_conn=connect.client_conn,
        req=tutils.treq(host=host, port=443, scheme=b"https", method=method, path=b"/v1?q=1"),
    )
    flow.request.headers["Host"] = host
    flow.client_conn.tls = True
    flow.client_conn.sni = sni if sni is not None else host
    return flow


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("host", "port", "reason"),
    [("93.184.215.14", 443, "ip-literal"), ("bad_host.example", 443, "invalid-host")],
)
async def test_a_denied_connect_gets_a_403_naming_the_tool_and_is_audited(
    tmp_path: Path, host: str, port: int, reason: str
) -> None:
    """IP literals and invalid names are refused at CONNECT itself."""
    addon = _addon(tmp_path)
    with addon:
        flow = _connect(host, port)
        await addon.http_connect(flow)
    assert flow.response is not None
    assert flow.response.status_code == 403
    assert b"egress-allow" in (flow.response.content or b"")
    assert flow.response.headers["X-Bot-Bottle-Denied"] == reason
    (line,) = _audit(tmp_path)
    assert line["decision"] == "deny"
    assert line["reason"] == reason


@pytest.mark.anyio
async def test_an_allowed_connect_gets_no_response_and_opens_the_tunnel(tmp_path: Path) -> None:
    """mitmproxy answers 200 itself; the addon only records the tunnel host."""
    addon = _addon(tmp_path)
    with addon:
        flow = _connect("API.Example.com.")
        await addon.http_connect(flow)
    assert flow.response is None
    assert _audit(tmp_path)[0]["decision"] == "allow"


@pytest.mark.parametrize(
    ("host", "sni", "reason"),
    [
        ("evil.example", "api.example.com", "host-mismatch"),
        ("api.example.com", "evil.example", "sni-mismatch"),
    ],
)
@pytest.mark.anyio
async def test_domain_fronting_inside_a_tunnel_is_denied(
    tmp_path: Path, host: str, sni: str, reason: str
) -> None:
    """Host header and SNI must both equal the CONNECT host."""
    addon = _addon(tmp_path)
    with addon:
        connect = _connect("api.example.com")
        await addon.http_connect(connect)
        flow = _inner(connect, host, sni)
        await addon.requestheaders(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == reason


@pytest.mark.anyio
async def test_an_allowed_request_is_scanned_and_audited_without_its_query(tmp_path: Path) -> None:
    """The scanner sees the request; the audit line has the path but never the query."""
    scanner = StandInScanner()
    addon = _addon(tmp_path, scanner)
    with addon:
        connect = _connect("api.example.com")
        await addon.http_connect(connect)
        flow = _inner(connect, "api.example.com")
        await addon.requestheaders(flow)
        await addon.request(flow)
    assert flow.response is None
    assert scanner.seen == ["api.example.com"]
    line = _audit(tmp_path)[-1]
    assert (line["decision"], line["path"], line["route"]) == (
        "allow",
        "/v1",
        "https://api.example.com:443",
    )


@pytest.mark.anyio
async def test_a_scanner_denial_answers_403_and_the_path_is_not_logged(tmp_path: Path) -> None:
    """DLP denials are 403 with JSON when asked for, and the audit path is redacted."""
    scanner = StandInScanner(
        Denied("dlp-block", "found github-pat in body", "api.example.com", 443)
    )
    addon = _addon(tmp_path, scanner)
    with addon:
        connect = _connect("api.example.com")
        await addon.http_connect(connect)
        flow = _inner(connect, "api.example.com")
        flow.request.headers["accept"] = "application/json"
        await addon.requestheaders(flow)
        await addon.request(flow)
    assert flow.response is not None
    assert json.loads(flow.response.content or b"")["reason"] == "dlp-block"
    line = _audit(tmp_path)[-1]
    assert (line["path"], line["detectors"]) == ("[redacted]", ["stand-in"])


@pytest.mark.anyio
async def test_a_request_denied_at_headers_is_never_scanned(tmp_path: Path) -> None:
    """A method outside the route stops at requestheaders; request() leaves it alone."""
    scanner = StandInScanner()
    addon = _addon(tmp_path, scanner)
    with addon:
        connect = _connect("files.example.com")
        await addon.http_connect(connect)
        flow = _inner(connect, "files.example.com", method=b"POST")
        await addon.requestheaders(flow)
        await addon.request(flow)
    assert flow.response is not None
    assert scanner.seen == []


def _server_data(
    host: str, port: int = 443, client: Client | None = None
) -> server_hooks.ServerConnectionHookData:
    """A server connection to ``host`` opened for ``client`` (a fresh client by default)."""
    server = tflow.tserver_conn()
    server.address = (host, port)
    server.sni = None
    return server_hooks.ServerConnectionHookData(
        server=server, client=client or tflow.tclient_conn()
    )


@pytest.mark.anyio
async def test_a_request_to_a_name_resolving_privately_is_denied_before_any_dial(
    tmp_path: Path,
) -> None:
    """requestheaders resolves and checks; a private answer is a 403, not a connection."""
    addon = _addon(tmp_path, answers=Answers({"api.example.com": "10.1.2.3"}))
    with addon:
        connect = _connect("api.example.com")
        await addon.http_connect(connect)
        flow = _inner(connect, "api.example.com")
        await addon.requestheaders(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "forbidden-destination"


@pytest.mark.anyio
async def test_server_connect_dials_a_vetted_address_with_the_host_as_sni(tmp_path: Path) -> None:
    """An address vetted by requestheaders is dialled with SNI set to the host name."""
    addon = _addon(tmp_path)
    with addon:
        connect = _connect("api.example.com")
        await addon.http_connect(connect)
        await addon.requestheaders(_inner(connect, "api.example.com"))
        data = _server_data("93.184.215.14", client=connect.client_conn)
        await addon.server_connect(data)
    assert data.server.error is None
    assert data.server.sni == "api.example.com"


@pytest.mark.anyio
async def test_a_nul_byte_in_a_header_value_is_refused_before_any_dial(tmp_path: Path) -> None:
    """mitmproxy would forward it; the addon answers 403 header-invalid (escape suite D42)."""
    answers = Answers({"api.example.com": "93.184.215.14"})
    addon = _addon(tmp_path, answers=answers)
    with addon:
        connect = _connect("api.example.com")
        await addon.http_connect(connect)
        flow = _inner(connect, "api.example.com")
        flow.request.headers.fields = (*flow.request.headers.fields, (b"X-A", b"a\x00b"))
        await addon.requestheaders(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "header-invalid"
    assert answers.lookups == []


@pytest.mark.anyio
async def test_two_names_on_one_address_are_each_dialled_with_their_own_sni(
    tmp_path: Path,
) -> None:
    """Pins are per client: a later request for another name on the same address (a CDN)
    does not change the SNI of an earlier client's connection (found by the escape suite,
    case L06)."""
    shared = "93.184.215.14"
    addon = _addon(
        tmp_path, answers=Answers({"api.example.com": shared, "files.example.com": shared})
    )
    with addon:
        first = _connect("api.example.com")
        await addon.http_connect(first)
        await addon.requestheaders(_inner(first, "api.example.com"))
        second = _connect("files.example.com")
        await addon.http_connect(second)
        await addon.requestheaders(_inner(second, "files.example.com"))
        again = _connect("api.example.com")  # answered from the resolve cache
        await addon.http_connect(again)
        await addon.requestheaders(_inner(again, "api.example.com"))
        dials = {
            name: _server_data(shared, client=flow.client_conn)
            for name, flow in (("first", first), ("second", second), ("again", again))
        }
        for data in dials.values():
            await addon.server_connect(data)
    assert {name: d.server.sni for name, d in dials.items()} == {
        "first": "api.example.com",
        "second": "files.example.com",
        "again": "api.example.com",
    }


@pytest.mark.anyio
async def test_a_closed_client_leaves_no_pin_behind(tmp_path: Path) -> None:
    """After the client disconnects, its vetted address is refused like any unvetted one."""
    addon = _addon(tmp_path)
    with addon:
        connect = _connect("api.example.com")
        await addon.http_connect(connect)
        await addon.requestheaders(_inner(connect, "api.example.com"))
        await addon.client_disconnected(connect.client_conn)
        data = _server_data("93.184.215.14", client=connect.client_conn)
        await addon.server_connect(data)
    assert data.server.error is not None


@pytest.mark.anyio
async def test_server_connect_refuses_an_address_nobody_vetted(tmp_path: Path) -> None:
    """A bare IP that no allowed request resolved to is never dialled."""
    addon = _addon(tmp_path)
    data = _server_data("93.184.215.14")
    with addon:
        await addon.server_connect(data)
    assert data.server.error is not None
    assert "ip-literal" in data.server.error


@pytest.mark.anyio
async def test_server_connect_pins_the_checked_address_and_sets_sni(tmp_path: Path) -> None:
    """The dialled address is the one checked; SNI carries the host name."""
    addon = _addon(tmp_path)
    data = _server_data("api.example.com")
    with addon:
        await addon.server_connect(data)
    assert data.server.error is None
    assert data.server.address == ("93.184.215.14", 443)
    assert data.server.sni == "api.example.com"


@pytest.mark.parametrize(
    "answer", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "100.64.1.1", "::ffff:10.0.0.1"]
)
@pytest.mark.anyio
async def test_server_connect_refuses_names_resolving_to_private_addresses(
    tmp_path: Path, answer: str
) -> None:
    """An allowed name that resolves (or rebinds) to a private address is not dialled."""
    addon = _addon(tmp_path, answers=Answers({"api.example.com": answer}))
    data = _server_data("api.example.com")
    with addon:
        await addon.server_connect(data)
    assert data.server.error is not None
    assert "forbidden-destination" in data.server.error


@pytest.mark.anyio
async def test_server_connect_denies_unrouted_names_before_any_lookup(tmp_path: Path) -> None:
    """A name no route allows is never resolved (no DNS exfiltration through the proxy)."""
    answers = Answers({})
    addon = _addon(tmp_path, answers=answers)
    data = _server_data("c2VjcmV0.attacker.example")
    with addon:
        await addon.server_connect(data)
    assert data.server.error is not None
    assert answers.lookups == []


@pytest.mark.anyio
async def test_raw_tcp_and_udp_flows_are_killed(tmp_path: Path) -> None:
    """Only HTTP leaves."""
    addon = _addon(tmp_path)
    with addon:
        tcp_flow = tflow.ttcpflow()
        await addon.tcp_start(tcp_flow)
        udp_flow = tflow.tudpflow()
        await addon.udp_start(udp_flow)
    assert tcp_flow.error is not None
    assert udp_flow.error is not None


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("stream_large_bodies", "1m"),
        ("rawtcp", True),
        ("ignore_hosts", ["example.com"]),
        ("allow_hosts", ["example.com"]),
        ("connection_strategy", "eager"),
        ("ssl_insecure", True),
        ("validate_inbound_headers", False),
        ("mode", ["transparent"]),
    ],
)
def test_unsafe_mitmproxy_options_are_refused(tmp_path: Path, option: str, value: object) -> None:
    """Options that open a bypass raise OptionsError naming the option."""
    addon = _addon(tmp_path)
    with (
        taddons.context(Proxyserver(), *addon.addons) as tctx,
        pytest.raises(exceptions.OptionsError, match=option),
    ):
        tctx.configure(addon.addon(SafeOptions), **{option: value})


@pytest.mark.anyio
async def test_websocket_messages_with_findings_are_dropped_and_history_trimmed(
    tmp_path: Path,
) -> None:
    """A client message the scanner refuses is not relayed; old messages are forgotten."""
    scanner = StandInScanner(Denied("websocket-secret", "found", "api.example.com", 443))
    addon = _addon(tmp_path, scanner)
    flow = tflow.twebsocketflow()
    assert flow.websocket is not None
    for _ in range(20):
        flow.websocket.messages.append(flow.websocket.messages[0])
    from mitmproxy.websocket import WebSocketMessage
    from wsproto.frame_protocol import Opcode

    message = WebSocketMessage(Opcode.TEXT, True, b"ghp_secret")
    flow.websocket.messages.append(message)
    with addon:
        await addon.websocket_message(flow)
    assert message.dropped
    assert len(flow.websocket.messages) <= 8


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("injected", "encoding", "length", "streamed"),
    [
        (None, None, "5000000", "plain"),
        (None, None, None, "plain"),
        (None, None, "100", "buffered"),
        (("secret-value",), None, "5000000", "scrubbed"),
        (("secret-value",), None, "100", "buffered"),
        (("secret-value",), "gzip", "5000000", "buffered"),
    ],
)
async def test_responses_are_streamed_and_scrubbed_where_credentials_were_injected(
    tmp_path: Path,
    injected: tuple[str, ...] | None,
    encoding: str | None,
    length: str | None,
    streamed: str,
) -> None:
    """Large or unsized bodies stream (scrubbing on injecting routes); small ones and
    compressed ones on injecting routes are buffered; echoed headers are always scrubbed."""
    from bb_egress.responses import Scrubber

    addon = _addon(tmp_path)
    flow = tflow.tflow(resp=True)
    assert flow.response is not None
    flow.response.headers["X-Echo"] = "secret-value"
    if length is None:
        del flow.response.headers["content-length"]
    else:
        flow.response.headers["content-length"] = length
    if encoding:
        flow.response.headers["Content-Encoding"] = encoding
    if injected:
        flow.metadata["bb_injected"] = injected
    with addon:
        await addon.responseheaders(flow)
    stream = flow.response.stream
    kind = "scrubbed" if isinstance(stream, Scrubber) else "plain" if stream is True else "buffered"
    assert kind == streamed
    assert (flow.response.headers["X-Echo"] == "secret-value") is (injected is None)


def test_a_request_body_over_the_limit_is_refused_with_413(tmp_path: Path) -> None:
    """Declared sizes are checked before the body is read."""
    addon = _addon(tmp_path)
    flow = tflow.tflow(req=tutils.treq(host="api.example.com", port=443, scheme=b"https"))
    limit = addon.addon(BodyLimit)
    flow.request.headers["content-length"] = str(limit.request_size_limit + 1)
    with addon:
        assert limit.too_large(flow, flow.request.headers["content-length"])
    assert flow.response is not None
    assert flow.response.status_code == 413


@pytest.mark.anyio
async def test_an_http2_path_naming_another_host_is_refused_before_any_scan(
    tmp_path: Path,
) -> None:
    """:path = https://other/x inside an allowed tunnel is 403, never scanned or resolved."""
    scanner = StandInScanner()
    answers = Answers({"api.example.com": "93.184.215.14"})
    addon = _addon(tmp_path, scanner, answers)
    with addon:
        connect = _connect("api.example.com")
        await addon.http_connect(connect)
        flow = _inner(connect, "api.example.com")
        flow.request.http_version = "HTTP/2.0"
        flow.request.path = "https://other.example/x"
        await addon.requestheaders(flow)
        await addon.request(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "target-not-origin-form"
    assert scanner.seen == []
    assert answers.lookups == []
    assert _audit(tmp_path)[-1]["reason"] == "target-not-origin-form"


@pytest.mark.anyio
async def test_a_form_field_overriding_the_method_is_refused_on_a_method_restricted_route(
    tmp_path: Path,
) -> None:
    """POST with _method=DELETE where the route allows GET and POST: 403 method-override."""
    scanner = StandInScanner()
    addon = _addon(tmp_path, scanner, Answers({"forms.example.com": "93.184.215.14"}))
    with addon:
        connect = _connect("forms.example.com")
        await addon.http_connect(connect)
        flow = _inner(connect, "forms.example.com", method=b"POST")
        flow.request.headers["Content-Type"] = "application/x-www-form-urlencoded"
        flow.request.content = b"id=7&_method=DELETE"
        await addon.requestheaders(flow)
        assert flow.response is None
        await addon.request(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "method-override"
    assert b"'DELETE'" in (flow.response.content or b"")
    assert scanner.seen == []


class PathRewritingScanner(StandInScanner):
    """A scanner whose rewrite (redaction) leaves a non-origin-form path behind."""

    async def process(self, flow: http.HTTPFlow, route: Route, bottle: str) -> str | Denied:
        flow.request.path = "http://other.example/x"
        return "redact"


@pytest.mark.anyio
async def test_a_path_rewritten_into_an_absolute_uri_never_goes_upstream(tmp_path: Path) -> None:
    """The target form is checked again after the scanner, right before forwarding."""
    addon = _addon(tmp_path, PathRewritingScanner())
    with addon:
        connect = _connect("api.example.com")
        await addon.http_connect(connect)
        flow = _inner(connect, "api.example.com")
        await addon.requestheaders(flow)
        await addon.request(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "target-not-origin-form"


@pytest.mark.anyio
@pytest.mark.parametrize(("host", "port"), [("evil.example", 443), ("api.example.com", 22)])
async def test_an_unrouted_tunnel_is_answered_inside_tls_with_the_explanation(
    tmp_path: Path, host: str, port: int
) -> None:
    """No route: the tunnel opens, and the request inside gets the 403 naming the tool.

    A client shows a refused CONNECT only as its status; answered inside the tunnel (TLS
    completed with the bottle CA), the explanation reaches the agent. Nothing is resolved.
    """
    answers = Answers({"evil.example": "93.184.215.15"})
    addon = _addon(tmp_path, answers=answers)
    with addon:
        connect = _connect(host, port)
        await addon.http_connect(connect)
        assert connect.response is None
        inner = _inner(connect, host)
        inner.request.port = port
        inner.request.headers["Accept"] = "application/json"
        await addon.requestheaders(inner)
    assert inner.response is not None
    assert inner.response.status_code == 403
    body = json.loads(inner.response.content or b"{}")
    assert body["reason"] == "no-route"
    assert body["tool"] == "egress-allow"
    assert "egress-allow" in body["next_step"]
    assert answers.lookups == []
    assert [line["reason"] for line in _audit(tmp_path)] == ["no-route", "no-route"]


@pytest.mark.anyio
async def test_a_refused_tunnel_never_dials_upstream(tmp_path: Path) -> None:
    """Even a code path that skipped requestheaders cannot connect out of a refused tunnel."""
    answers = Answers({"evil.example": "93.184.215.15"})
    addon = _addon(tmp_path, answers=answers)
    with addon:
        connect = _connect("evil.example")
        await addon.http_connect(connect)
        data = _server_data("evil.example", 443, connect.client_conn)
        await addon.server_connect(data)
    assert data.server.error is not None
    assert "no-route" in data.server.error
    assert answers.lookups == []


@pytest.mark.anyio
@pytest.mark.parametrize(("private", "allowed"), [(True, True), (False, False)])
async def test_only_a_private_network_route_reaches_a_private_address(
    tmp_path: Path, private: bool, allowed: bool
) -> None:
    """A company gateway on 10.x passes only when the operator marked its route."""
    routes = tmp_path / "routes.yaml"
    flag = "\n    private_network: true" if private else ""
    routes.write_text(f"routes:\n  - host: llm.corp.example{flag}\n")
    addon = Chain(
        egress_addons(
            store=RoutesStore(routes),
            scanner=StandInScanner(),
            audit=AuditLog(tmp_path / "audit.jsonl"),
            bottle="test-bottle",
            destinations=DestinationPolicy(),
            resolver=Answers({"llm.corp.example": "10.20.30.40"}),
        )
    )
    with addon:
        connect = _connect("llm.corp.example")
        await addon.http_connect(connect)
        flow = _inner(connect, "llm.corp.example")
        await addon.requestheaders(flow)
    if allowed:
        assert flow.response is None
        assert flow.request.host == "10.20.30.40"
    else:
        assert flow.response is not None
        assert flow.response.headers["X-Bot-Bottle-Denied"] == "forbidden-destination"


@pytest.mark.anyio
async def test_a_secret_in_a_refused_host_or_path_is_redacted_in_the_audit_line(
    tmp_path: Path,
) -> None:
    """Refused before any scan, the line is still checked: host and path become
    ``[redacted]`` and the detectors are named."""
    addon = _addon(tmp_path)
    with addon:
        connect = _connect("SECRET.evil.example")
        await addon.http_connect(connect)
        inner = _inner(connect, "SECRET.evil.example")
        inner.request.path = "/upload/SECRET-value?q=1"
        await addon.requestheaders(inner)
    lines = _audit(tmp_path)
    assert all("secret" not in json.dumps(line).lower() for line in lines)
    assert (lines[-1]["host"], lines[-1]["path"]) == ("[redacted]", "[redacted]")
    assert (lines[-1]["reason"], lines[-1]["detectors"]) == ("no-route", ["stand-in"])
