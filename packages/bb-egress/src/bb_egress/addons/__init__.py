"""The egress proxy as small mitmproxy addons, composed in one ordered list.

Each addon sees what the ones before it did to the flow (`bb-egress run` registers the list
as one `bb_egress.addons.chain.EgressChain`, which calls the members' hooks in this order).
The order is therefore the security argument, and it lives in one place, `egress_addons`:

1. `SafeOptions`, `NonHttpGuard`, `CaExport`: process-level guards (``configure``
   refuses unsafe options; raw TCP/UDP killed; the CA's certificate published).
2. `TunnelGate`: CONNECT decided before any DNS lookup; a refused tunnel's requests
   answered with the 403 inside it and never dialled.
3. `HeaderGuard`: control bytes in headers refused.
4. `BodyLimit`: declared lengths over the limit refused before the body is read; bodies
   refused while read (`bb_egress.body_limit`).
5. `SniGuard`: the TLS server name must be the CONNECT host.
6. `RouteGate`: a route must allow the request; Host must name its destination.
7. `DestinationGuard`: resolve, check every address, pin; ``server_connect`` dials
   only pinned addresses. After the route gate: a name no route allows is never
   resolved (no DNS exfiltration).
8. `OutboundDlp`: DLP scan, on-match policy and credential injection, only on a
   request every gate above allowed (deny before inject; DLP before forward).
9. `ResponseScrubber`, `WebsocketGuard`: responses streamed and scrubbed of injected
   credentials; websocket messages scanned.
10. `Audit`: last, so it writes the decision every addon above took, once.

Every request hook starts with the already-handled guard (`bb_egress.addons._flow.handled`):
once an addon refused a flow, no later addon scans, injects, resolves or forwards it.
Decisions travel in ``flow.metadata`` (`META_ROUTE`, `META_DENIED`, `META_VERDICT`).
"""

from __future__ import annotations

from pathlib import Path

from bb_egress.addons._flow import META_DENIED, META_ROUTE, META_VERDICT, Verdict
from bb_egress.addons.audit import Audit
from bb_egress.addons.body_size import (
    DEFAULT_REQUEST_SIZE_LIMIT,
    REQUEST_BUFFER_STREAMS,
    BodyLimit,
)
from bb_egress.addons.outbound import OutboundDlp, RequestScanner
from bb_egress.addons.pinning import DestinationGuard
from bb_egress.addons.responses import STREAM_ABOVE, ResponseScrubber
from bb_egress.addons.route_gate import HeaderGuard, RouteGate
from bb_egress.addons.safety import CaExport, NonHttpGuard, SafeOptions
from bb_egress.addons.tunnels import SniGuard, TunnelGate
from bb_egress.addons.websocket import WEBSOCKET_HISTORY, WebsocketGuard
from bb_egress.audit import AuditLog
from bb_egress.destinations import DestinationPolicy, Resolver, Vetter, system_resolver
from bb_egress.reload import RoutesStore

__all__ = [
    "DEFAULT_REQUEST_SIZE_LIMIT",
    "META_DENIED",
    "META_ROUTE",
    "META_VERDICT",
    "REQUEST_BUFFER_STREAMS",
    "STREAM_ABOVE",
    "WEBSOCKET_HISTORY",
    "Audit",
    "BodyLimit",
    "CaExport",
    "DestinationGuard",
    "HeaderGuard",
    "NonHttpGuard",
    "OutboundDlp",
    "RequestScanner",
    "ResponseScrubber",
    "RouteGate",
    "SafeOptions",
    "SniGuard",
    "TunnelGate",
    "Verdict",
    "WebsocketGuard",
    "egress_addons",
]


def egress_addons(
    *,
    store: RoutesStore,
    scanner: RequestScanner,
    audit: AuditLog,
    bottle: str,
    destinations: DestinationPolicy,
    resolver: Resolver = system_resolver,
    ca_cert_export: Path | None = None,
    request_size_limit: int = DEFAULT_REQUEST_SIZE_LIMIT,
) -> list[object]:
    """The egress addons in the order mitmproxy must call them (see the module docstring).

    Register them as one addon, in this order: ``master.addons.add(EgressChain(addons))``
    (`bb_egress.addons.chain`: mitmproxy's per-addon dispatch would cost more than the checks).
    """
    tunnels = TunnelGate(store)
    return [
        # Process level: unsafe options refused, only HTTP leaves, the CA published.
        SafeOptions(),
        NonHttpGuard(),
        CaExport(ca_cert_export),
        # Gates, cheapest and least revealing first; nothing resolved before a route allows.
        tunnels,
        HeaderGuard(),
        BodyLimit(request_size_limit),
        SniGuard(tunnels),
        RouteGate(store),
        DestinationGuard(store, Vetter(destinations, resolver)),
        # Only a request every gate allowed is scanned and gets the route's credential.
        OutboundDlp(scanner, bottle),
        ResponseScrubber(),
        WebsocketGuard(scanner),
        # Last: writes the decision the addons above recorded on the flow.
        Audit(audit, scanner, bottle),
    ]
