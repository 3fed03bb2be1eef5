"""CONNECT tunnels and their TLS server name: the first gates a request meets.

`TunnelGate` decides a CONNECT before mitmproxy resolves or dials anything
(``connection_strategy=lazy``): IP literals and bad names get a 403 at once; a host no
route names gets its tunnel opened, TLS completed with the bottle CA, and every request
inside answered with the 403 explanation (a client shows a refused CONNECT only as its
status, so the agent would never learn why). Nothing of a refused tunnel is resolved or
dialled. Each request in an allowed tunnel carries the tunnel's ``(host, port)`` in
``flow.metadata`` for the gates after it.

`SniGuard` refuses a request whose TLS server name differs from the CONNECT host
(``sni-mismatch``), and never lets a handshake pass through unintercepted.
"""

from __future__ import annotations

from typing import Final

from mitmproxy import http, tls
from mitmproxy.connection import Client
from mitmproxy.proxy import server_hooks

from bb_egress.addons._flow import (
    META_DENIED,
    META_TUNNEL,
    META_VERDICT,
    Verdict,
    deny,
    first_check,
    handled,
)
from bb_egress.policy import Denied, check_connect, check_sni, same_host
from bb_egress.reload import RoutesStore
from bb_protocol.logging import get_logger
from bb_protocol.routes import normalise_host

__all__ = ["SniGuard", "TunnelGate"]

_log = get_logger("bb-egress.addon")

_GATE: Final = "tunnel"


class TunnelGate:
    """Decides CONNECTs; answers every request of a refused tunnel with its 403."""

    def __init__(self, store: RoutesStore) -> None:
        self.store = store
        self._tunnels: dict[str, tuple[str, int]] = {}
        self._refused: dict[str, Denied] = {}
        """Client id -> why its CONNECT has no route (answered inside the tunnel)."""

    def tunnel(self, client: str) -> tuple[str, int] | None:
        """The allowed CONNECT ``(host, port)`` of a client connection, if any."""
        return self._tunnels.get(client)

    def http_connect(self, flow: http.HTTPFlow) -> None:
        """Decide the tunnel before mitmproxy resolves or dials anything."""
        if handled(flow):
            return
        decision = check_connect(self.store.routes, flow.request.host, flow.request.port)
        if isinstance(decision, Denied) and decision.reason == "no-route":
            self._refused[flow.client_conn.id] = decision
            flow.metadata[META_DENIED] = decision.reason
            flow.metadata[META_VERDICT] = Verdict(
                "deny", reason=decision.reason, host=decision.host
            )
            return
        if isinstance(decision, Denied):
            deny(flow, decision)
            return
        host = normalise_host(flow.request.host)
        self._tunnels[flow.client_conn.id] = (host, flow.request.port)
        flow.metadata[META_VERDICT] = Verdict("allow", route=decision.route.label(), host=host)

    def client_disconnected(self, client: Client) -> None:
        """Forget the tunnel of a closed client connection."""
        self._tunnels.pop(client.id, None)
        self._refused.pop(client.id, None)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Answer a request in a refused tunnel; tag one in an allowed tunnel."""
        if handled(flow) or not first_check(flow, _GATE):
            return
        refused = self._refused.get(flow.client_conn.id)
        if refused is not None:
            deny(flow, refused)
            return
        tunnel = self._tunnels.get(flow.client_conn.id)
        if tunnel is not None:
            flow.metadata[META_TUNNEL] = tunnel

    def request(self, flow: http.HTTPFlow) -> None:
        """The same check, when ``requestheaders`` never ran for this flow."""
        self.requestheaders(flow)

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        """A refused tunnel never connects, whatever code path asks for it."""
        if data.server.error is not None:
            return
        if data.client.id in self._refused:
            data.server.error = "bb-egress: no-route: a refused tunnel never connects"


class SniGuard:
    """The TLS server name must equal the CONNECT host."""

    def __init__(self, tunnels: TunnelGate) -> None:
        self.tunnels = tunnels

    def tls_clienthello(self, data: tls.ClientHelloData) -> None:
        """Never pass a handshake through; log an SNI that differs from the CONNECT host.

        mitmproxy offers no way to abort here, so the refusal happens per request in
        `requestheaders` (403 ``sni-mismatch``), before any upstream connection.
        """
        data.ignore_connection = False
        tunnel = self.tunnels.tunnel(data.context.client.id)
        sni = data.client_hello.sni
        if tunnel is not None and sni is not None and not same_host(sni, tunnel[0]):
            _log.warn(
                "TLS server name differs from the CONNECT host", {"sni": sni, "host": tunnel[0]}
            )

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Refuse a request whose TLS server name is not the tunnel's host."""
        if handled(flow) or not first_check(flow, "sni"):
            return
        tunnel: tuple[str, int] | None = flow.metadata.get(META_TUNNEL)
        if tunnel is None or not flow.client_conn.tls:
            return
        denied = check_sni(flow.client_conn.sni, *tunnel)
        if denied is not None:
            deny(flow, denied)

    def request(self, flow: http.HTTPFlow) -> None:
        """The same check, when ``requestheaders`` never ran for this flow."""
        self.requestheaders(flow)
