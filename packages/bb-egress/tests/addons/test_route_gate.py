"""Specification of bb_egress.addons.route_gate: header bytes and route decisions, alone."""

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils

from bb_egress.addons import META_ROUTE, HeaderGuard, RouteGate
from bb_egress.addons._flow import META_TUNNEL
from bb_egress.reload import RoutesStore


def _request(host: str, method: bytes = b"GET", tunnel: bool = True) -> http.HTTPFlow:
    flow = tflow.tflow(
        req=tutils.treq(host=host, port=443, scheme=b"https", method=method, path=b"/v1")
    )
    flow.request.headers["Host"] = host
    flow.client_conn.tls = True
    if tunnel:
        flow.metadata[META_TUNNEL] = (host, 443)
    return flow


def test_a_control_byte_in_a_header_is_refused() -> None:
    """header-invalid, before anything else looks at the request (escape case D42)."""
    guard = HeaderGuard()
    flow = _request("api.example.com")
    flow.request.headers.fields = (*flow.request.headers.fields, (b"X-A", b"a\x00b"))
    with taddons.context(guard):
        guard.requestheaders(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "header-invalid"


def test_an_allowed_request_records_its_route(store: RoutesStore) -> None:
    """The route the later addons (pinning, DLP) work from travels in metadata."""
    gate = RouteGate(store)
    flow = _request("api.example.com")
    with taddons.context(gate):
        gate.requestheaders(flow)
    assert flow.response is None
    assert flow.metadata[META_ROUTE].label() == "https://api.example.com:443"


@pytest.mark.parametrize(
    ("host", "method", "host_header", "reason"),
    [
        ("files.example.com", b"POST", None, "no-route"),
        ("evil.example", b"GET", None, "no-route"),
        ("api.example.com", b"GET", "evil.example", "host-mismatch"),
        ("api.example.com", b"GET", "api.example.com:8443", "host-mismatch"),
    ],
)
def test_a_request_no_route_allows_or_fronted_by_host_is_refused(
    store: RoutesStore, host: str, method: bytes, host_header: str | None, reason: str
) -> None:
    """Method outside the route, unrouted host, or a Host naming another destination."""
    gate = RouteGate(store)
    flow = _request(host, method, tunnel=False)
    if host_header is not None:
        flow.request.headers["Host"] = host_header
    with taddons.context(gate):
        gate.requestheaders(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == reason
    assert META_ROUTE not in flow.metadata


def test_a_request_whose_headers_were_never_checked_is_checked_in_request(
    store: RoutesStore,
) -> None:
    """request runs the header check when requestheaders did not (fail closed)."""
    gate = RouteGate(store)
    flow = _request("evil.example", tunnel=False)
    with taddons.context(gate):
        gate.request(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "no-route"


def test_a_method_override_in_the_body_is_refused_on_a_method_restricted_route(
    tmp_path: object, store: RoutesStore
) -> None:
    """_method=DELETE in a form body where the route allows only GET."""
    gate = RouteGate(store)
    flow = _request("files.example.com")
    flow.request.headers["Content-Type"] = "application/x-www-form-urlencoded"
    flow.request.content = b"_method=DELETE"
    with taddons.context(gate):
        gate.requestheaders(flow)
        assert flow.response is None
        gate.request(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "method-override"
