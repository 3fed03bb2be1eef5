"""Specification of bb_egress.addons.outbound: DLP and injection only on allowed requests."""

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils

from bb_egress.addons import META_ROUTE, META_VERDICT, OutboundDlp, Verdict
from bb_egress.policy import Denied
from bb_egress.reload import RoutesStore
from bb_protocol.routes import Route


class Scanner:
    """Answers ``verdict``; optionally rewrites the path or raises."""

    def __init__(self, verdict: str | Denied = "allow", *, path: str | None = None) -> None:
        self.verdict = verdict
        self.path = path
        self.seen = 0

    async def process(self, flow: http.HTTPFlow, route: Route, bottle: str) -> str | Denied:
        self.seen += 1
        if isinstance(self.verdict, Exception):
            raise self.verdict
        if self.path is not None:
            flow.request.path = self.path
        return self.verdict

    async def scan_websocket(
        self, flow: http.HTTPFlow, content: bytes, is_text: bool
    ) -> Denied | None:
        return None

    def last_detectors(self, flow: http.HTTPFlow) -> tuple[str, ...]:
        return ("found",) if self.verdict == "redact" or isinstance(self.verdict, Denied) else ()

    def text_detectors(self, text: str) -> tuple[str, ...]:
        return ()


def _allowed(store: RoutesStore) -> http.HTTPFlow:
    flow = tflow.tflow(req=tutils.treq(host="api.example.com", port=443, path=b"/v1"))
    flow.metadata[META_ROUTE] = store.routes.find("https", "api.example.com", 443, "GET", "/v1")
    return flow


@pytest.mark.anyio
async def test_an_allowed_request_is_scanned_and_its_outcome_recorded(store: RoutesStore) -> None:
    """The outcome and detectors go to the audit verdict; the path is tainted by findings."""
    addon = OutboundDlp(Scanner("redact"), "b")
    flow = _allowed(store)
    with taddons.context(addon):
        await addon.request(flow)
    assert flow.response is None
    assert flow.metadata[META_VERDICT] == Verdict(
        "redact", route="https://api.example.com:443", detectors=("found",), tainted=True
    )


@pytest.mark.anyio
async def test_a_request_without_a_recorded_route_is_refused_not_scanned(
    store: RoutesStore,
) -> None:
    """Fail closed: no gate allowed it, so it is neither scanned nor forwarded."""
    scanner = Scanner()
    addon = OutboundDlp(scanner, "b")
    flow = tflow.tflow(req=tutils.treq(host="api.example.com", port=443))
    with taddons.context(addon):
        await addon.request(flow)
    assert flow.response is not None
    assert scanner.seen == 0


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("scanner", "reason"),
    [
        (Scanner(Denied("dlp-block", "found", "api.example.com", 443)), "dlp-block"),
        (Scanner(path="http://other.example/x"), "target-not-origin-form"),
        (Scanner(RuntimeError("bug")), "body-invalid"),  # type: ignore[arg-type]
    ],
    ids=["finding", "rewritten-absolute", "scanner-raises"],
)
async def test_a_finding_a_bad_rewrite_or_a_failed_scan_refuses_the_request(
    store: RoutesStore, scanner: Scanner, reason: str
) -> None:
    """Each is a 403 with its reason; nothing unscanned or absolute-form goes upstream."""
    addon = OutboundDlp(scanner, "b")
    flow = _allowed(store)
    with taddons.context(addon):
        await addon.request(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == reason
