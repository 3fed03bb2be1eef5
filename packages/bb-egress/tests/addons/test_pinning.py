"""Specification of bb_egress.addons.pinning: resolve, check, pin, and dial only pins."""

import ipaddress

import pytest
from mitmproxy import http
from mitmproxy.proxy import server_hooks
from mitmproxy.test import taddons, tflow, tutils

from bb_egress.addons import META_ROUTE, DestinationGuard
from bb_egress.destinations import DestinationPolicy, IPAddress, Vetter
from bb_egress.reload import RoutesStore

PUBLIC = "93.184.215.14"


class Answers:
    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.lookups.append(host)
        if host not in self.table:
            raise OSError("no such host")
        return [ipaddress.ip_address(self.table[host])]


def _guard(store: RoutesStore, answers: Answers) -> DestinationGuard:
    return DestinationGuard(store, Vetter(DestinationPolicy(), answers))


def _allowed(store: RoutesStore, host: str = "api.example.com") -> http.HTTPFlow:
    flow = tflow.tflow(req=tutils.treq(host=host, port=443, scheme=b"https", path=b"/"))
    flow.metadata[META_ROUTE] = store.routes.find("https", host, 443, "GET", "/")
    return flow


def _dial(host: str, flow: http.HTTPFlow | None = None) -> server_hooks.ServerConnectionHookData:
    server = tflow.tserver_conn()
    server.address = (host, 443)
    server.sni = None
    client = flow.client_conn if flow is not None else tflow.tclient_conn()
    return server_hooks.ServerConnectionHookData(server=server, client=client)


@pytest.mark.anyio
async def test_an_allowed_request_is_pinned_to_its_checked_address(store: RoutesStore) -> None:
    """The request dials the vetted IP; its Host header is unchanged; the dial gets SNI."""
    guard = _guard(store, Answers({"api.example.com": PUBLIC}))
    flow = _allowed(store)
    flow.request.headers["Host"] = "api.example.com"
    with taddons.context(guard):
        await guard.requestheaders(flow)
        data = _dial(PUBLIC, flow)
        await guard.server_connect(data)
    assert flow.request.host == PUBLIC
    assert flow.request.headers["Host"] == "api.example.com"
    assert (data.server.error, data.server.sni) == (None, "api.example.com")


@pytest.mark.anyio
async def test_a_request_without_a_route_is_never_resolved(store: RoutesStore) -> None:
    """No route in metadata (the route gate refused): nothing is looked up."""
    answers = Answers({"api.example.com": PUBLIC})
    guard = _guard(store, answers)
    flow = tflow.tflow(req=tutils.treq(host="api.example.com", port=443))
    with taddons.context(guard):
        await guard.requestheaders(flow)
    assert answers.lookups == []
    assert flow.request.host == "api.example.com"


@pytest.mark.anyio
async def test_a_private_answer_is_refused_before_any_dial(store: RoutesStore) -> None:
    """forbidden-destination, answered as a 403."""
    guard = _guard(store, Answers({"api.example.com": "10.0.0.1"}))
    flow = _allowed(store)
    with taddons.context(guard):
        await guard.requestheaders(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "forbidden-destination"


@pytest.mark.anyio
async def test_an_address_nobody_pinned_is_never_dialled(store: RoutesStore) -> None:
    """A bare IP at server_connect is an ip-literal refusal."""
    guard = _guard(store, Answers({}))
    data = _dial(PUBLIC)
    with taddons.context(guard):
        await guard.server_connect(data)
    assert data.server.error is not None
    assert "ip-literal" in data.server.error


@pytest.mark.anyio
async def test_a_name_at_server_connect_is_routed_and_vetted_there(store: RoutesStore) -> None:
    """A code path that skipped requestheaders still dials only a checked address."""
    answers = Answers({"api.example.com": PUBLIC})
    guard = _guard(store, answers)
    allowed, unrouted = _dial("api.example.com"), _dial("c2VjcmV0.attacker.example")
    with taddons.context(guard):
        await guard.server_connect(allowed)
        await guard.server_connect(unrouted)
    assert allowed.server.address == (PUBLIC, 443)
    assert unrouted.server.error is not None
    assert answers.lookups == ["api.example.com"]


@pytest.mark.anyio
async def test_a_closed_client_loses_its_pins(store: RoutesStore) -> None:
    """After disconnect the pinned address is refused like any other."""
    guard = _guard(store, Answers({"api.example.com": PUBLIC}))
    flow = _allowed(store)
    with taddons.context(guard):
        await guard.requestheaders(flow)
        guard.client_disconnected(flow.client_conn)
        data = _dial(PUBLIC, flow)
        await guard.server_connect(data)
    assert data.server.error is not None
    assert len(guard.pins) == 0
