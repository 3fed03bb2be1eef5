"""DLP and credential injection: the last thing done to a request before it leaves.

Runs only on a request every gate before it allowed (a route recorded, nothing refused):
the scanner (`bb_egress.outbound.OutboundScanner` in production) scans the whole buffered
request, applies the route's on-match policy and injects the route's credential. The
target form is checked once more afterwards, so whatever the rewrite did, an absolute URI
never goes upstream. A scanner that raises refuses the request: mitmproxy's addon manager
would log the exception and forward the request unscanned.
"""

from __future__ import annotations

from typing import Protocol

from mitmproxy import http

from bb_egress.addons._flow import META_ROUTE, META_VERDICT, Verdict, denial, deny, handled
from bb_egress.policy import Denied
from bb_egress.request_target import target_form_problem
from bb_protocol.logging import get_logger
from bb_protocol.routes import Route

__all__ = ["OutboundDlp", "RequestScanner"]

_log = get_logger("bb-egress.addon")


class RequestScanner(Protocol):
    """The DLP side of the proxy (`bb_egress.outbound.OutboundScanner` in production)."""

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


class OutboundDlp:
    """Scans the buffered request, applies the on-match policy, injects credentials."""

    def __init__(self, scanner: RequestScanner, bottle: str) -> None:
        self.scanner = scanner
        self.bottle = bottle

    async def request(self, flow: http.HTTPFlow) -> None:
        """Scan and inject; refuse on a finding the route's policy blocks."""
        if handled(flow):
            return
        route = flow.metadata.get(META_ROUTE)
        if not isinstance(route, Route):  # no gate allowed it: fail closed
            deny(flow, denial(flow, "no-route", "no route was recorded for this request"))
            return
        try:
            outcome = await self.scanner.process(flow, route, self.bottle)
        except Exception as exc:  # mitmproxy would log it and forward the request unscanned
            _log.error("the DLP scan failed; request refused", {"error": type(exc).__name__})
            deny(flow, denial(flow, "body-invalid", "the request could not be scanned"))
            return
        if isinstance(outcome, Denied):
            deny(flow, outcome, self.scanner.last_detectors(flow))
            return
        problem = target_form_problem(flow.request.method, flow.request.path)
        if problem is not None:  # never an absolute URI upstream, whatever rewrote the path
            deny(flow, denial(flow, "target-not-origin-form", problem))
            return
        detectors = self.scanner.last_detectors(flow)
        flow.metadata[META_VERDICT] = Verdict(
            outcome, route=route.label(), detectors=detectors, tainted=bool(detectors)
        )
