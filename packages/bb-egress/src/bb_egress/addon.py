"""The mitmproxy addon: a thin adapter from hooks to the pure policy and the DLP engine.

Where each rule is enforced (see ``docs/egress.md`` for the why):

* ``http_connect``: CONNECT host and port must match a route; IP literals denied. Runs
  before any DNS lookup or upstream connection (``connection_strategy=lazy``).
* ``requestheaders``: Host, ``:authority``, an absolute-form target and TLS SNI must all
  equal the CONNECT host; the target must be origin-form, also over HTTP/2, and on
  narrowed routes unambiguous and free of method overrides (`bb_egress.request_target`);
  the request (scheme, host, port, method, path) must match a route; the host is
  resolved, every address classified (`bb_egress.destinations`) and the request pinned
  to the checked address (defeats DNS rebinding; keeps connection reuse).
* ``server_connect``: the universal choke point. Only addresses vetted above are dialled,
  with SNI set to the host name; a name arriving here is re-checked and vetted.
* request bodies: refused (413) as soon as the buffered body passes the request limit,
  while it is read (`bb_egress.body_limit`); a declared length over it in ``requestheaders``.
* ``request``: DLP scan of the whole buffered request, on-match policy, credential
  injection (`bb_egress.outbound`).
* ``websocket_message``: client messages scanned; findings drop the message. History
  trimmed. Control frames sanitised by `bb_egress.ws_guard`.
* ``tcp_start``/``udp_start``: killed; only HTTP leaves.

``configure`` refuses option values that would open a bypass (streaming, raw TCP,
passthrough hosts, eager connections, insecure upstream TLS, lax header validation).
"""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Final, Protocol

from mitmproxy import addonmanager, ctx, exceptions, http, tcp, tls, udp
from mitmproxy.connection import Client
from mitmproxy.proxy import server_hooks

from bb_egress import body_limit, ws_guard
from bb_egress.audit import AuditLog, AuditRecord, safe_path
from bb_egress.destinations import DestinationPolicy, IPAddress
from bb_egress.policy import (
    Denied,
    DenyReason,
    check_connect,
    check_header_bytes,
    check_request,
    denial_body,
)
from bb_egress.reload import RoutesStore
from bb_egress.request_target import body_method_override, target_form_problem
from bb_egress.responses import META_INJECTED, Scrubber, scrub_body, scrub_headers
from bb_egress.safe_options import ENFORCED_OPTIONS, unsafe_option
from bb_protocol.logging import get_logger
from bb_protocol.routes import Route, normalise_host

__all__ = ["EgressAddon", "RequestScanner", "Resolver", "static_resolver", "system_resolver"]

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
"""Turns a host name into the addresses to check and dial."""


class RequestScanner(Protocol):
    """The DLP side of the addon (`bb_egress.outbound.OutboundScanner` in production)."""

    async def process(self, flow: http.HTTPFlow, route: Route, bottle: str) -> str | Denied:
        """Scan, apply the on-match policy and inject credentials; outcome or denial."""
        ...

    async def scan_websocket(
        self, flow: http.HTTPFlow, content: bytes, is_text: bool
    ) -> Denied | None:
        """Scan one client websocket message; a denial when it must be dropped."""
        ...

    def last_detectors(self, flow: http.HTTPFlow) -> tuple[str, ...]:
        """Detector names of the last scan of ``flow``."""
        ...

    def text_detectors(self, text: str) -> tuple[str, ...]:
        """Detector names that fire on ``text`` (a refused request's host or path, before
        it is written to the audit log)."""
        ...


WEBSOCKET_HISTORY: Final = 8
"""Websocket messages kept on a flow after scanning (mitmproxy keeps all otherwise)."""

_log = get_logger("bb-egress.addon")

DEFAULT_REQUEST_SIZE_LIMIT: Final = 32 * 1024 * 1024
"""Largest request body the proxy buffers, scans and forwards (bytes, as sent)."""

REQUEST_BUFFER_STREAMS: Final = 8
"""The proxy buffers at most this many full-size request bodies at once (all streams)."""

STREAM_ABOVE: Final = 1024 * 1024
"""Responses declaring more bytes than this (or no length) are streamed to the agent."""

RESOLVE_TTL: Final = 30.0
"""Seconds a checked DNS answer is reused (connections to it stay pinned regardless)."""

_CACHE_MAX: Final = 4096

META_ROUTE: Final = "bb_route"
META_DENIED: Final = "bb_denied"


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Resolve with the system resolver (off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def static_resolver(table: Mapping[str, str]) -> Resolver:
    """A resolver answering only from ``table`` (host -> address); for loopback tests."""
    fixed = {normalise_host(k): ipaddress.ip_address(v) for k, v in table.items()}

    async def resolve(host: str, port: int) -> list[IPAddress]:
        try:
            return [fixed[host]]
        except KeyError:
            raise OSError(f"{host} is not in the static resolver table") from None

    return resolve


class EgressAddon:
    """Enforces routes, destinations and the DLP on-match policy on every flow."""

    def __init__(
        self,
        *,
        store: RoutesStore,
        scanner: RequestScanner,
        audit: AuditLog,
        bottle: str,
        destinations: DestinationPolicy,
        resolver: Resolver = system_resolver,
        ca_cert_export: Path | None = None,
        request_size_limit: int = DEFAULT_REQUEST_SIZE_LIMIT,
    ) -> None:
        self.store = store
        self.request_size_limit = request_size_limit
        self.scanner = scanner
        self.audit = audit
        self.bottle = bottle
        self.destinations = destinations
        self.resolver = resolver
        self.ca_cert_export = ca_cert_export
        self._tunnels: dict[str, tuple[str, int]] = {}
        self._denied_tunnels: dict[str, Denied] = {}
        """Client id -> why its CONNECT has no route: the tunnel is accepted, TLS completed
        with the bottle CA, and every request in it answered with that 403 explanation (a
        client shows a CONNECT 403 as a bare status, so the agent would never learn why)."""
        self._resolved: dict[tuple[str, int, bool], tuple[float, str]] = {}
        self._vetted: dict[tuple[str, str, int], str] = {}
        """(client id, ip, port) -> the host name requestheaders vetted for that client.

        Keyed per client connection: several allowed names may share one address (a CDN),
        and each connection must be dialled with the SNI of its own request's host."""
        ws_guard.install()
        body_limit.install()

    # ------------------------------------------------------------------ options

    def load(self, loader: addonmanager.Loader) -> None:
        """Declare the request limit that `bb_egress.body_limit` enforces while reading."""
        loader.add_option(
            body_limit.OPTION,
            int,
            self.request_size_limit,
            "Largest request body (bytes) buffered; refused as soon as more arrives.",
        )
        loader.add_option(
            body_limit.BUDGET_OPTION,
            int,
            REQUEST_BUFFER_STREAMS * self.request_size_limit,
            "Request bytes buffered by all streams together; a stream past it is refused.",
        )

    def configure(self, updated: set[str]) -> None:
        """Refuse option values that open a way around the policy (`bb_egress.safe_options`)."""
        for name in sorted(updated & ENFORCED_OPTIONS.keys()):
            if not hasattr(ctx.options, name):
                continue
            value = getattr(ctx.options, name)
            why = unsafe_option(name, value)
            if why is not None:
                raise exceptions.OptionsError(  # type: ignore[no-untyped-call]
                    f"bb-egress refuses {name}={value!r}: {why}"
                )

    def running(self) -> None:
        """Copy the CA's public certificate (never the key) to where the launcher reads it."""
        if self.ca_cert_export is None:
            return
        source = Path(ctx.options.confdir).expanduser() / "mitmproxy-ca-cert.pem"
        self.ca_cert_export.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.ca_cert_export.with_name(self.ca_cert_export.name + ".tmp")
        shutil.copyfile(source, tmp)
        tmp.chmod(0o644)
        tmp.replace(self.ca_cert_export)

    # ------------------------------------------------------------------ helpers

    def _record(
        self,
        flow: http.HTTPFlow,
        decision: str,
        *,
        reason: str | None = None,
        route: str | None = None,
        detectors: tuple[str, ...] = (),
        tainted: bool = False,
        host: str | None = None,
    ) -> None:
        logged_host = host if host is not None else flow.request.pretty_host
        path = (
            ""
            if flow.request.method == "CONNECT"
            else safe_path(flow.request.path, tainted=tainted)
        )
        if decision == "deny" and not detectors:
            # Refused before the DLP scan (no route, a bad header...): the host and path
            # the agent chose could carry a secret, and the audit line must never hold one.
            in_host = self.scanner.text_detectors(logged_host)
            in_path = self.scanner.text_detectors(path) if path else ()
            if in_host:
                logged_host = "[redacted]"
            if in_path:
                path = "[redacted]"
            detectors = tuple(sorted({*in_host, *in_path}))
        self.audit.write(
            AuditRecord(
                bottle=self.bottle,
                method=flow.request.method,
                host=logged_host,
                port=flow.request.port,
                path=path,
                route=route,
                decision=decision,
                reason=reason,
                detectors=detectors,
            )
        )

    def deny(self, flow: http.HTTPFlow, denied: Denied, detectors: tuple[str, ...] = ()) -> None:
        """Answer ``flow`` with a 403 that tells the agent what to do, and audit it."""
        accept = flow.request.headers.get("accept", "")
        want_json = "application/json" in accept and "text/plain" not in accept
        body, content_type = denial_body(denied, want_json=want_json)
        flow.response = http.Response.make(
            413 if denied.reason == "body-too-large" else 403,
            body,
            {
                "Content-Type": content_type,
                "Connection": "close",
                "X-Bot-Bottle-Denied": denied.reason,
            },
        )
        flow.metadata[META_DENIED] = denied.reason
        self._record(
            flow,
            "deny",
            reason=denied.reason,
            detectors=detectors,
            tainted=bool(detectors),
            host=denied.host,
        )

    # ------------------------------------------------------------------ connection hooks

    def http_connect(self, flow: http.HTTPFlow) -> None:
        """Decide the tunnel before mitmproxy resolves or dials anything."""
        decision = check_connect(self.store.routes, flow.request.host, flow.request.port)
        if isinstance(decision, Denied) and decision.reason == "no-route":
            # Explain inside the tunnel (see _denied_tunnels); nothing is resolved or dialled.
            self._denied_tunnels[flow.client_conn.id] = decision
            self._record(flow, "deny", reason=decision.reason, host=decision.host)
            return
        if isinstance(decision, Denied):
            self.deny(flow, decision)
            return
        host = normalise_host(flow.request.host)
        self._tunnels[flow.client_conn.id] = (host, flow.request.port)
        self._record(flow, "allow", route=decision.route.label(), host=host)

    def client_disconnected(self, client: Client) -> None:
        """Forget the tunnel and the vetted addresses of a closed client connection."""
        self._tunnels.pop(client.id, None)
        self._denied_tunnels.pop(client.id, None)
        for key in [k for k in self._vetted if k[0] == client.id]:
            del self._vetted[key]

    def tls_clienthello(self, data: tls.ClientHelloData) -> None:
        """Never pass a handshake through; log an SNI that differs from the CONNECT host.

        mitmproxy offers no way to abort here, so the refusal happens per request in
        `requestheaders` (403 ``sni-mismatch``), before any upstream connection.
        """
        data.ignore_connection = False
        tunnel = self._tunnels.get(data.context.client.id)
        sni = data.client_hello.sni
        if tunnel is None or sni is None:
            return
        try:
            same = normalise_host(sni) == tunnel[0]
        except ValueError:
            same = False
        if not same:
            _log.warn(
                "TLS server name differs from the CONNECT host", {"sni": sni, "host": tunnel[0]}
            )

    async def _vet(
        self, raw_host: str, port: int, *, private_ok: bool = False
    ) -> tuple[str, str] | Denied:
        """Resolve an allowed name and check every address; ``(host, ip)`` or a denial.

        Answers are cached for `RESOLVE_TTL` seconds; a cached answer was checked when it
        was stored, so a rebinding during the TTL changes nothing.
        """
        host = normalise_host(raw_host)
        now = time.monotonic()
        cached = self._resolved.get((host, port, private_ok))
        if cached is not None and cached[0] > now:
            return host, cached[1]
        try:
            addresses = await self.resolver(host, port)
        except OSError as exc:
            return Denied("resolution-failed", f"cannot resolve {host}: {exc}", host, port)
        why: str | None = "no addresses"
        if addresses:
            why = self.destinations.check_all(addresses, private_ok=private_ok)
        if why is not None:
            _log.warn("destination refused", {"host": host, "why": why})
            return Denied("forbidden-destination", f"{host} resolves to {why}", host, port)
        ip = str(addresses[0])
        if len(self._resolved) >= _CACHE_MAX:
            self._resolved.clear()  # pins in _vetted live with their client connection
        self._resolved[(host, port, private_ok)] = (now + RESOLVE_TTL, ip)
        return host, ip

    async def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        """The choke point: only vetted addresses are dialled, SNI is the host name.

        Requests arrive here already pinned by `requestheaders` to an address `_vet`
        checked. Anything else (a name, e.g. from a code path that skipped requestheaders)
        is re-checked and vetted here; an unvetted IP is refused.
        """
        address = data.server.address
        if address is None:
            data.server.error = "bb-egress: no destination address"
            return
        raw_host, port = str(address[0]), int(address[1])
        if data.client.id in self._denied_tunnels:
            data.server.error = "bb-egress: no-route: a refused tunnel never connects"
            return
        vetted_host = self._vetted.get((data.client.id, raw_host, port))
        if vetted_host is None:
            decision = check_connect(self.store.routes, raw_host, port)
            if isinstance(decision, Denied):
                data.server.error = f"bb-egress: {decision.reason}: {decision.detail}"
                return
            vetted = await self._vet(raw_host, port)
            if isinstance(vetted, Denied):
                data.server.error = f"bb-egress: {vetted.reason}: {vetted.detail}"
                return
            vetted_host, ip = vetted
            data.server.address = (ip, port)
        if data.server.sni is None or data.server.sni != vetted_host:
            data.server.sni = vetted_host

    def tcp_start(self, flow: tcp.TCPFlow) -> None:
        """Raw TCP never leaves."""
        flow.kill()  # type: ignore[no-untyped-call]

    def udp_start(self, flow: udp.UDPFlow) -> None:
        """UDP never leaves."""
        flow.kill()  # type: ignore[no-untyped-call]

    # ------------------------------------------------------------------ request hooks

    async def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Host, SNI and route checks, then pin to a vetted address; before any dial."""
        if flow.response is not None or flow.error is not None:
            return
        refused_tunnel = self._denied_tunnels.get(flow.client_conn.id)
        if refused_tunnel is not None:
            self.deny(flow, refused_tunnel)
            return
        bad_header = check_header_bytes(flow.request.headers.fields)
        if bad_header is not None:
            self.deny(
                flow,
                Denied("header-invalid", bad_header, flow.request.pretty_host, flow.request.port),
            )
            return
        if self._too_large(flow, flow.request.headers.get("content-length", "0")):
            return
        tunnel = self._tunnels.get(flow.client_conn.id)
        connect_host, connect_port = tunnel if tunnel is not None else (None, None)
        sni = flow.client_conn.sni
        if tunnel is not None and flow.client_conn.tls and sni is not None:
            try:
                sni_ok = normalise_host(sni) == tunnel[0]
            except ValueError:
                sni_ok = False
            if not sni_ok:
                self.deny(
                    flow,
                    Denied(
                        "sni-mismatch",
                        f"TLS server name {sni!r} differs from CONNECT host {tunnel[0]!r}",
                        tunnel[0],
                        tunnel[1],
                    ),
                )
                return
        if tunnel is not None and flow.request.scheme != (
            "https" if flow.client_conn.tls else "http"
        ):
            flow.request.scheme = "https" if flow.client_conn.tls else "http"
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
            self.deny(flow, decision)
            return
        if not self._host_header_agrees(flow):  # inside a tunnel: fronting by Host
            self.deny(
                flow,
                Denied(
                    "host-mismatch",
                    f"Host {flow.request.host_header!r} differs from the destination"
                    f" {flow.request.pretty_host}:{flow.request.port}",
                    flow.request.pretty_host,
                    flow.request.port,
                ),
            )
            return
        vetted = await self._vet(
            flow.request.host, flow.request.port, private_ok=decision.route.private_network
        )
        if isinstance(vetted, Denied):
            self.deny(flow, vetted)
            return
        self._vetted[(flow.client_conn.id, vetted[1], flow.request.port)] = vetted[0]
        flow.request.data.host = vetted[1]  # dial the checked address; Host header unchanged
        if flow.request.http_version.startswith("HTTP/1"):
            flow.request.authority = ""  # origin-form upstream: the authority was checked
        flow.metadata[META_ROUTE] = decision.route
        flow.request.stream = False

    @staticmethod
    def _names_destination(value: str, flow: http.HTTPFlow) -> bool:
        name, _, port = value.rpartition(":") if not value.endswith("]") else (value, "", "")
        if not name or not port.isdigit():
            name, port = value, ""
        try:
            same_host = normalise_host(name.strip("[]")) == normalise_host(flow.request.host)
        except ValueError:
            return False
        return same_host and (port == "" or int(port) == flow.request.port)

    @classmethod
    def _host_header_agrees(cls, flow: http.HTTPFlow) -> bool:
        """Host, ``:authority`` and an absolute-form target all name the destination.

        Inside a tunnel mitmproxy dials the CONNECT host whatever the request says, while
        origins route by the absolute-form authority first, then Host (RFC 9112 3.2.2): any
        disagreement there is domain fronting. Outside a tunnel they must match the URL.
        """
        values = [flow.request.authority, flow.request.headers.get("host", "")]
        return all(cls._names_destination(v, flow) for v in values if v)

    def _too_large(self, flow: http.HTTPFlow, size: str | int) -> bool:
        """Refuse (413) a request body over the limit; mitmproxy's own body_size_limit is
        set far higher because it also caps responses, which are streamed."""
        try:
            length = int(size)
        except ValueError:
            length = 0  # mitmproxy already refused a malformed Content-Length
        if length <= self.request_size_limit:
            return False
        self.deny(
            flow,
            Denied(
                "body-too-large",
                f"the request body ({length} bytes) exceeds {self.request_size_limit} bytes",
                flow.request.pretty_host,
                flow.request.port,
            ),
        )
        return True

    def error(self, flow: http.HTTPFlow) -> None:
        """Audit a request body refused while it was read (`bb_egress.body_limit`)."""
        if body_limit.is_refusal(flow.error) and META_DENIED not in flow.metadata:
            flow.metadata[META_DENIED] = "body-too-large"
            self._record(flow, "deny", reason="body-too-large")

    async def request(self, flow: http.HTTPFlow) -> None:
        """Scan the buffered request and apply the route's on-match policy and injection."""
        if flow.response is not None or flow.error is not None:
            return
        if self._too_large(flow, len(flow.request.raw_content or b"")):  # chunked uploads
            return
        if META_ROUTE not in flow.metadata:  # requestheaders did not allow it: check again
            await self.requestheaders(flow)
        decision = flow.metadata.get(META_ROUTE)
        if not isinstance(decision, Route) or META_DENIED in flow.metadata:
            return
        refused = self._request_target_refusal(flow, decision)
        if refused is not None:
            self.deny(flow, refused)
            return
        outcome = await self.scanner.process(flow, decision, self.bottle)
        if isinstance(outcome, Denied):
            self.deny(flow, outcome, self.scanner.last_detectors(flow))
            return
        problem = target_form_problem(flow.request.method, flow.request.path)
        if problem is not None:  # never an absolute URI upstream, whatever rewrote the path
            self.deny(flow, self._denied(flow, "target-not-origin-form", problem))
            return
        detectors = self.scanner.last_detectors(flow)
        self._record(
            flow,
            outcome,
            route=decision.label(),
            detectors=detectors,
            tainted=bool(detectors),
        )

    @staticmethod
    def _denied(flow: http.HTTPFlow, reason: DenyReason, detail: str) -> Denied:
        return Denied(reason, detail, flow.request.pretty_host, flow.request.port)

    def _request_target_refusal(self, flow: http.HTTPFlow, route: Route) -> Denied | None:
        """A ``_method`` form field naming a method the route does not allow (the headers
        and query were checked in `requestheaders`; the body is only here)."""
        if route.methods is None:
            return None
        problem = body_method_override(
            flow.request.headers.get("content-type", ""),
            flow.request.get_content(strict=False) or b"",
            route.methods,
        )
        return None if problem is None else self._denied(flow, "method-override", problem)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream responses (see `bb_egress.responses`); scrub injected credentials first."""
        response = flow.response
        if response is None or response.status_code == 101:
            return
        values = flow.metadata.get(META_INJECTED)
        if values:
            cleaned = scrub_headers(response.headers, values)
            if cleaned is not None:
                response.headers = cleaned
        if not self._worth_streaming(response):
            return  # small: buffered, and scrubbed in `response` if need be
        if not values:
            response.stream = True
        elif response.headers.get("content-encoding", "identity").strip().lower() in {
            "",
            "identity",
        }:
            response.stream = Scrubber(values)
        # else: buffered; `response` decodes and scrubs it

    @staticmethod
    def _worth_streaming(response: http.Response) -> bool:
        """Event streams, unknown lengths and large bodies; small ones are cheaper buffered."""
        if "text/event-stream" in response.headers.get("content-type", ""):
            return True
        try:
            return int(response.headers.get("content-length", "")) > STREAM_ABOVE
        except ValueError:
            return True

    def response(self, flow: http.HTTPFlow) -> None:
        """Scrub a buffered response on a credential-injecting route, or withhold it."""
        response = flow.response
        values = flow.metadata.get(META_INJECTED)
        if response is None or not values or response.stream:
            return
        cleaned = scrub_headers(response.headers, values)
        if cleaned is not None:
            response.headers = cleaned
        if not scrub_body(response, values):
            flow.response = http.Response.make(
                502,
                b"bot-bottle egress proxy: the response could not be decoded to check it for"
                b" the route's credential, so it was withheld.\n",
                {
                    "Content-Type": "text/plain; charset=utf-8",
                    "X-Bot-Bottle-Denied": "body-invalid",
                },
            )

    # ------------------------------------------------------------------ websockets

    async def websocket_message(self, flow: http.HTTPFlow) -> None:
        """Scan each client message; a finding drops it. Keep only a short history."""
        assert flow.websocket is not None
        message = flow.websocket.messages[-1]
        if message.from_client:
            denied = await self.scanner.scan_websocket(flow, message.content, message.is_text)
            if denied is not None:
                message.drop()  # type: ignore[no-untyped-call]
                self.audit.write(
                    AuditRecord(
                        bottle=self.bottle,
                        method="WS",
                        host=flow.request.pretty_host,
                        port=flow.request.port,
                        path=safe_path(flow.request.path, tainted=True),
                        decision="deny",
                        reason=denied.reason,
                        detectors=self.scanner.last_detectors(flow),
                    )
                )
        if len(flow.websocket.messages) > WEBSOCKET_HISTORY:
            del flow.websocket.messages[:-WEBSOCKET_HISTORY]
