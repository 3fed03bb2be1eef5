"""The request gates: well-formed headers, then a route that allows the request.

`HeaderGuard` refuses a header holding a control byte (NUL, CR, LF...), which mitmproxy
would forward (escape case D42). `RouteGate` decides the request with the pure
`bb_egress.policy.check_request` (scheme, host, port, method, origin-form target, an
unambiguous path and no method override on narrowed routes), refuses domain fronting by
Host or ``:authority``, and records the allowing route in ``flow.metadata``; in
``request`` it checks a ``_method`` form field, which only the buffered body shows.
"""

from __future__ import annotations

from typing import Final

from mitmproxy import http

from bb_egress.addons._flow import META_ROUTE, META_TUNNEL, denial, deny, first_check, handled
from bb_egress.policy import Denied, check_header_bytes, check_request, host_header_agrees
from bb_egress.reload import RoutesStore
from bb_egress.request_target import body_method_override
from bb_protocol.routes import Route

__all__ = ["HeaderGuard", "RouteGate"]

_ROUTE_GATE: Final = "route"


class HeaderGuard:
    """No header name or value may hold a control byte."""

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Refuse (403 ``header-invalid``) before anything is resolved or dialled."""
        if handled(flow) or not first_check(flow, "headers"):
            return
        bad_header = check_header_bytes(flow.request.headers.fields)
        if bad_header is not None:
            deny(flow, denial(flow, "header-invalid", bad_header))

    def request(self, flow: http.HTTPFlow) -> None:
        """The same check, when ``requestheaders`` never ran for this flow."""
        self.requestheaders(flow)


class RouteGate:
    """A route must allow the request, and Host must name its destination."""

    def __init__(self, store: RoutesStore) -> None:
        self.store = store

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Decide the request from its headers; record the route that allows it."""
        if handled(flow) or not first_check(flow, _ROUTE_GATE):
            return
        tunnel: tuple[str, int] | None = flow.metadata.get(META_TUNNEL)
        connect_host, connect_port = tunnel if tunnel is not None else (None, None)
        if tunnel is not None:
            scheme = "https" if flow.client_conn.tls else "http"
            if flow.request.scheme != scheme:
                flow.request.scheme = scheme
        decision = check_request(
            self.store.routes,
            scheme=flow.request.scheme,
            raw_host=flow.request.host,
            port=flow.request.port,
            method=flow.request.method,
            target=flow.request.path,
            connect_host=connect_host,
            connect_port=connect_port,
            headers=[
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in flow.request.headers.fields
            ],
        )
        if isinstance(decision, Denied):
            deny(flow, decision)
            return
        named = (flow.request.authority, flow.request.headers.get("host", ""))
        if not host_header_agrees(named, flow.request.host, flow.request.port):
            deny(
                flow,
                denial(
                    flow,
                    "host-mismatch",
                    f"Host {flow.request.host_header!r} differs from the destination"
                    f" {flow.request.pretty_host}:{flow.request.port}",
                ),
            )
            return
        flow.metadata[META_ROUTE] = decision.route

    def request(self, flow: http.HTTPFlow) -> None:
        """A ``_method`` form field naming a method the route does not allow.

        The headers and query were checked in `requestheaders` (run here when it never
        ran); the body is only complete now.
        """
        self.requestheaders(flow)
        if handled(flow):
            return
        route = flow.metadata.get(META_ROUTE)
        if not isinstance(route, Route) or route.methods is None:
            return
        problem = body_method_override(
            flow.request.headers.get("content-type", ""),
            flow.request.get_content(strict=False) or b"",
            route.methods,
        )
        if problem is not None:
            deny(flow, denial(flow, "method-override", problem))
