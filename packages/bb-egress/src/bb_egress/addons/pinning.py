"""Resolve, check and pin: the proxy dials only addresses it checked, with the right SNI.

In ``requestheaders`` an allowed request's host is resolved, every address checked
(`bb_egress.destinations.Vetter`) and the request pinned to the checked address, so DNS
rebinding between the check and the dial changes nothing and connection reuse still
works. ``server_connect`` is the universal choke point: only pinned addresses are
dialled, with SNI set to the host name; a name arriving there (a code path that skipped
``requestheaders``) is routed and vetted on the spot; an unvetted address is refused.
"""

from __future__ import annotations

from typing import Final

from mitmproxy import http
from mitmproxy.connection import Client
from mitmproxy.proxy import server_hooks

from bb_egress.addons._flow import META_ROUTE, deny, first_check, handled
from bb_egress.destinations import Pins, Vetter
from bb_egress.policy import Denied, check_connect
from bb_egress.reload import RoutesStore
from bb_protocol.routes import Route

__all__ = ["DestinationGuard"]

_GATE: Final = "destination"


class DestinationGuard:
    """Pins each allowed request to a checked address; dials nothing else."""

    def __init__(self, store: RoutesStore, vetter: Vetter) -> None:
        self.store = store
        self.vetter = vetter
        self.pins = Pins()

    async def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Resolve the allowed host, check every address, pin the request to one."""
        if handled(flow) or not first_check(flow, _GATE):
            return
        route = flow.metadata.get(META_ROUTE)
        if not isinstance(route, Route):
            return  # no route recorded: the route gate refused it, nothing to dial
        vetted = await self.vetter.vet(
            flow.request.host, flow.request.port, private_ok=route.private_network
        )
        if isinstance(vetted, Denied):
            deny(flow, vetted)
            return
        host, ip = vetted
        self.pins.pin(flow.client_conn.id, ip, flow.request.port, host)
        flow.request.data.host = ip  # dial the checked address; Host header unchanged
        if flow.request.http_version.startswith("HTTP/1"):
            flow.request.authority = ""  # origin-form upstream: the authority was checked
        flow.request.stream = False

    async def request(self, flow: http.HTTPFlow) -> None:
        """The same, when ``requestheaders`` never ran for this flow."""
        await self.requestheaders(flow)

    async def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        """The choke point: only vetted addresses are dialled, SNI is the host name."""
        if data.server.error is not None:
            return
        address = data.server.address
        if address is None:
            data.server.error = "bb-egress: no destination address"
            return
        raw_host, port = str(address[0]), int(address[1])
        vetted_host = self.pins.host(data.client.id, raw_host, port)
        if vetted_host is None:
            decision = check_connect(self.store.routes, raw_host, port)
            if isinstance(decision, Denied):
                data.server.error = f"bb-egress: {decision.reason}: {decision.detail}"
                return
            vetted = await self.vetter.vet(raw_host, port)
            if isinstance(vetted, Denied):
                data.server.error = f"bb-egress: {vetted.reason}: {vetted.detail}"
                return
            vetted_host, ip = vetted
            data.server.address = (ip, port)
        if data.server.sni != vetted_host:
            data.server.sni = vetted_host

    def client_disconnected(self, client: Client) -> None:
        """Forget the pins of a closed client connection."""
        self.pins.forget(client.id)
