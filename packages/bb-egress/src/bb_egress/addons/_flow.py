"""What the egress addons share about a flow: metadata keys, the verdict, and `deny`.

Addons never call each other. One addon's decision reaches the next through
``flow.metadata`` (and ``flow.response``): a gate that refuses a flow answers it with the
403 and records a `Verdict`; every later addon sees the answered flow through `handled`
and leaves it alone; the audit addon, last in the chain, writes the verdict once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mitmproxy import http

from bb_egress.policy import Denied, DenyReason, denial_body

__all__ = [
    "META_CHECKED",
    "META_DENIED",
    "META_ROUTE",
    "META_TUNNEL",
    "META_VERDICT",
    "Verdict",
    "denied_here",
    "deny",
    "first_check",
    "handled",
]

META_ROUTE: Final = "bb_route"
"""The `bb_protocol.routes.Route` the route gate allowed this request on."""

META_DENIED: Final = "bb_denied"
"""The reason code of a refused flow; once set, no addon lets the flow through."""

META_VERDICT: Final = "bb_verdict"
"""The `Verdict` waiting to be audited (popped by the audit addon)."""

META_TUNNEL: Final = "bb_tunnel"
"""``(host, port)`` of the CONNECT tunnel this request arrived in."""

META_CHECKED: Final = "bb_checked"
"""Names of the gates whose ``requestheaders`` check ran on this flow."""


@dataclass(frozen=True)
class Verdict:
    """One decision to audit; the audit addon turns it into an `AuditRecord`."""

    decision: str
    """``allow``, ``deny``, ``redact``... (`bb_protocol.audit.AuditDecision`)."""
    reason: str | None = None
    """The deny reason code."""
    route: str | None = None
    """The allowing route's label."""
    detectors: tuple[str, ...] = ()
    """Detector names that fired (never a value)."""
    tainted: bool = False
    """The path held a finding: it is logged as ``[redacted]``."""
    host: str | None = None
    """The host to log; the request's own when `None`."""
    method: str | None = None
    """The method to log (``WS`` for a websocket message); the request's own when `None`."""
    screen: bool = True
    """Check host and path for secrets before logging a denial without detectors."""


def handled(flow: http.HTTPFlow) -> bool:
    """The already-handled guard: answered, failed, refused or no longer live.

    Every hook of every egress addon starts with it, so a flow refused by an earlier
    addon (or an earlier hook) is never scanned, injected, resolved or forwarded.
    """
    return (
        flow.response is not None
        or flow.error is not None
        or not flow.live
        or META_DENIED in flow.metadata
    )


def denied_here(flow: http.HTTPFlow) -> bool:
    """True when an egress addon refused ``flow`` (as opposed to an upstream answer)."""
    return META_DENIED in flow.metadata


def first_check(flow: http.HTTPFlow, gate: str) -> bool:
    """True the first time ``gate`` checks ``flow``; marks it checked.

    ``request`` runs a gate's ``requestheaders`` check again only when it never ran
    (mitmproxy skips ``requestheaders`` on some paths, e.g. a replayed flow).
    """
    checked: set[str] = flow.metadata.setdefault(META_CHECKED, set())
    if gate in checked:
        return False
    checked.add(gate)
    return True


def deny(flow: http.HTTPFlow, denied: Denied, detectors: tuple[str, ...] = ()) -> None:
    """Answer ``flow`` with a 403 (413 for size) telling the agent what to do; record it."""
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
    flow.metadata[META_VERDICT] = Verdict(
        "deny",
        reason=denied.reason,
        detectors=detectors,
        tainted=bool(detectors),
        host=denied.host,
    )


def denial(flow: http.HTTPFlow, reason: DenyReason, detail: str) -> Denied:
    """A denial about ``flow``'s own destination."""
    return Denied(reason, detail, flow.request.pretty_host, flow.request.port)
