"""The on-match policy: DLP scan of a buffered request, then redact, block or supervise.

Order of work for one request on an allowed route:

1. Strip agent-supplied values of the headers the route injects (the agent never decides
   the credential), so a placeholder token the agent was given does not trigger the scan.
2. Scan the whole request (path and query, every header, trailers, the body; the engine
   decodes Content-Encoding itself). Bodies above `INLINE_SCAN_BYTES` are scanned in a
   worker thread so one large upload never stalls the event loop.
3. Findings: ``block`` refuses; ``redact`` rewrites and re-scans and refuses if anything
   remains; ``supervise`` refuses structural (CRLF) findings and otherwise asks the
   operator (`bb_egress.token_approval`). A scan error refuses (fail closed).
4. Inject the route's headers from the proxy's environment; a missing variable refuses.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict, deque
from collections.abc import Mapping
from typing import Final, Literal

from mitmproxy import http

from bb_dlp import (
    DlpConfig,
    Finding,
    OutboundRequest,
    ScanResult,
    WebSocketMessage,
    redact_tokens,
    scan_content,
    scan_outbound,
    scan_websocket_message,
    strip_crlf,
)
from bb_egress.policy import Denied
from bb_egress.responses import META_INJECTED
from bb_egress.token_approval import TokenApprover, TokenProposal, fingerprint
from bb_protocol.logging import get_logger
from bb_protocol.routes import Route

__all__ = ["INLINE_SCAN_BYTES", "OutboundScanner", "expand_headers", "is_structural"]

INLINE_SCAN_BYTES: Final = 64 * 1024
"""Bodies up to this size are scanned on the event loop; larger ones in a worker thread."""

META_DETECTORS: Final = "bb_detectors"

META_WS_RECENT: Final = "bb_ws_recent"
"""flow.metadata key of the connection's recent client messages (pieces of a split secret)."""

WS_RECENT_MESSAGES: Final = 8
"""Earlier client messages kept per websocket connection for piece matching."""

WS_RECENT_BYTES: Final = 16 * 1024
"""Bytes kept of each earlier message (its tail: where the next message's piece joins)."""

RECENT_REQUESTS: Final = 8
"""Earlier requests per destination whose secret pieces are joined with the next ones."""

RECENT_SECONDS: Final = 120.0
"""How long a request's pieces are kept (a split "a moment apart", not forever)."""

RECENT_DESTINATIONS: Final = 256
"""Destinations remembered (least recently used forgotten first)."""


_PLACEHOLDER: Final = re.compile(r"\$\{([A-Z0-9_]+)\}")
_log = get_logger("bb-egress.outbound")

Outcome = Literal["allow", "redact", "approved"]


def is_structural(finding: Finding) -> bool:
    """True for findings about request structure (CRLF injection), not a secret value."""
    return "crlf" in finding.detector.lower()


def expand_headers(route: Route, environ: Mapping[str, str]) -> list[tuple[str, str]] | str:
    """The route's injected headers with ``${VAR}`` expanded, or the name of a missing var."""
    out: list[tuple[str, str]] = []
    for name, template in route.inject_headers.items():
        missing = [v for v in _PLACEHOLDER.findall(template) if not environ.get(v)]
        if missing:
            return str(missing[0])
        out.append((name, _PLACEHOLDER.sub(lambda m: str(environ[m.group(1)]), template)))
    return out


def _to_outbound(flow: http.HTTPFlow) -> OutboundRequest:
    req = flow.request
    headers = list(req.headers.items(multi=True))  # type: ignore[no-untyped-call]
    if req.trailers is not None:
        headers.extend(req.trailers.items(multi=True))  # type: ignore[no-untyped-call]
    return OutboundRequest(
        method=req.method,
        scheme=req.scheme,
        host=req.pretty_host,
        port=req.port,
        path=req.path,
        headers=headers,
        body=req.raw_content or b"",
    )


def _apply(flow: http.HTTPFlow, rewritten: OutboundRequest) -> None:
    req = flow.request
    trailer_names = {k.lower() for k in req.trailers} if req.trailers is not None else set()
    req.path = rewritten.path
    kept = [(k, v) for k, v in rewritten.headers if k.lower() not in trailer_names]
    req.headers = http.Headers([(k.encode(), v.encode()) for k, v in kept])
    if req.trailers is not None:
        req.trailers = http.Headers(
            [(k.encode(), v.encode()) for k, v in rewritten.headers if k.lower() in trailer_names]
        )
    if rewritten.body != (req.raw_content or b""):
        req.raw_content = rewritten.body
        if "content-length" in req.headers:
            req.headers["content-length"] = str(len(rewritten.body))


class OutboundScanner:
    """Runs the DLP engine and the on-match policy for one route's requests."""

    def __init__(
        self,
        config: DlpConfig,
        approver: TokenApprover,
        environ: Mapping[str, str],
    ) -> None:
        self.config = config
        self.approver = approver
        self.environ = environ
        # destination -> (time, pieces) of recent clean requests: offsets into secrets'
        # projections only, never text. Bounded by the three RECENT_* constants.
        self._recent: OrderedDict[str, deque[tuple[float, ScanResult]]] = OrderedDict()

    def _earlier(self, destination: str) -> list[tuple[str, tuple[int, ...]]]:
        kept = self._recent.get(destination)
        if not kept:
            return []
        cutoff = time.monotonic() - RECENT_SECONDS
        while kept and kept[0][0] < cutoff:
            kept.popleft()
        return [piece for _t, result in kept for piece in result.pieces]

    def _remember(self, destination: str, result: ScanResult) -> None:
        if not result.pieces:
            return
        kept = self._recent.setdefault(destination, deque(maxlen=RECENT_REQUESTS))
        kept.append((time.monotonic(), ScanResult((), result.pieces)))
        self._recent.move_to_end(destination)
        while len(self._recent) > RECENT_DESTINATIONS:
            self._recent.popitem(last=False)

    def text_detectors(self, text: str) -> tuple[str, ...]:
        """Detector names that fire on ``text`` (a refused request's host or path, for the
        audit log: it must never hold a secret). Operator-approved values are skipped."""
        if text in ("", "[redacted]"):
            return ()
        result = scan_content(
            text.encode("utf-8", "replace"),
            self.config,
            surface="audit",
            safe_tokens=self.approver.safe_tokens,
        )
        return tuple(sorted({f.detector for f in result.findings}))

    @staticmethod
    def last_detectors(flow: http.HTTPFlow) -> tuple[str, ...]:
        """Detector names of the last scan of ``flow`` (for the audit log)."""
        value = flow.metadata.get(META_DETECTORS, ())
        return tuple(value)

    async def _scan(self, request: OutboundRequest) -> ScanResult:
        safe = self.approver.safe_tokens
        earlier = self._earlier(f"{request.host}:{request.port}")
        if len(request.body) > INLINE_SCAN_BYTES:
            return await asyncio.to_thread(scan_outbound, request, self.config, safe, earlier)
        return scan_outbound(request, self.config, safe, earlier)

    async def process(self, flow: http.HTTPFlow, route: Route, bottle: str) -> Outcome | Denied:
        """Scan, apply the on-match policy, inject credentials; the outcome or a denial."""
        host, port = flow.request.pretty_host, flow.request.port
        for name in route.inject_headers:  # the agent never supplies the route's credential
            if name in flow.request.headers:
                del flow.request.headers[name]
        request = _to_outbound(flow)
        try:
            result = await self._scan(request)
        except Exception as exc:  # a scanner failure must not let the request through
            _log.error("scan failed; refusing", {"host": host, "error": type(exc).__name__})
            return Denied("body-invalid", f"the request could not be scanned: {exc}", host, port)
        outcome: Outcome = "allow"
        if result.clean:
            self._remember(f"{request.host}:{request.port}", result)
        else:
            findings = result.findings
            flow.metadata[META_DETECTORS] = tuple(sorted({f.detector for f in findings}))
            policy = route.effective_on_match
            unreadable = [f for f in findings if f.detector == "encoding" and not f.matched]
            if unreadable:
                return Denied(
                    "body-invalid",
                    "the body could not be decoded for scanning: " + unreadable[0].preview,
                    host,
                    port,
                )
            structural = [f for f in findings if is_structural(f)]
            if policy == "block":
                return Denied("dlp-block", self._summary(findings), host, port)
            if policy == "redact":
                denied = await self._redact(flow, request, findings, host, port)
                if denied is not None:
                    return denied
                outcome = "redact"
            else:
                if structural:
                    return Denied(
                        "dlp-block",
                        "the request has CR/LF injection: " + self._summary(structural),
                        host,
                        port,
                    )
                denied = await self._supervise(flow, findings, bottle, host, port)
                if denied is not None:
                    return denied
                outcome = "approved"
        injected = expand_headers(route, self.environ)
        if isinstance(injected, str):
            return Denied(
                "injection-unavailable",
                f"the route's credential ({injected}) is not configured in the egress proxy",
                host,
                port,
            )
        for name, value in injected:
            flow.request.headers[name] = value
        used = {self.environ[v] for v in route.secret_env_vars if self.environ.get(v)}
        if used:  # responses on this route get scrubbed; identity bodies can be streamed
            flow.metadata[META_INJECTED] = tuple(sorted(used, key=len))
            flow.request.headers["Accept-Encoding"] = "identity"
        return outcome

    @staticmethod
    def _summary(findings: tuple[Finding, ...] | list[Finding]) -> str:
        parts = sorted({f"{f.detector} in {f.surface}" for f in findings})
        return "found " + ", ".join(parts)

    async def _redact(
        self,
        flow: http.HTTPFlow,
        request: OutboundRequest,
        findings: tuple[Finding, ...],
        host: str,
        port: int,
    ) -> Denied | None:
        unredactable = [f for f in findings if not f.redactable and not is_structural(f)]
        if unredactable:
            return Denied(
                "dlp-unredactable", "cannot redact: " + self._summary(unredactable), host, port
            )
        rewritten = strip_crlf(redact_tokens(request, findings))
        again = await self._scan(rewritten)
        if not again.clean:
            return Denied(
                "dlp-unredactable",
                "still present after redaction: " + self._summary(again.findings),
                host,
                port,
            )
        _apply(flow, rewritten)
        return None

    async def _supervise(
        self,
        flow: http.HTTPFlow,
        findings: tuple[Finding, ...],
        bottle: str,
        host: str,
        port: int,
    ) -> Denied | None:
        values = frozenset(f.matched for f in findings)
        proposal = TokenProposal(
            bottle=bottle,
            host=host,
            method=flow.request.method,
            path=flow.request.path.split("?", 1)[0][:512]
            if not any(f.surface in {"path", "url", "query"} for f in findings)
            else "[redacted]",
            detectors=tuple(sorted({f.detector for f in findings})),
            previews=tuple(sorted({f.preview for f in findings})),
            fingerprint=fingerprint(values),
            port=flow.request.port,
        )
        verdict = await self.approver.approve(proposal, values)
        if not verdict.approved:
            return Denied(
                "dlp-rejected", f"the operator did not approve: {verdict.reason}", host, port
            )
        return None

    async def scan_websocket(
        self, flow: http.HTTPFlow, content: bytes, is_text: bool
    ) -> Denied | None:
        """Scan one client websocket message; a denial when it carries anything."""
        message = WebSocketMessage(
            host=flow.request.pretty_host, path=flow.request.path, content=content, is_text=is_text
        )
        safe = self.approver.safe_tokens
        recent: list[bytes] = flow.metadata.setdefault(META_WS_RECENT, [])
        earlier = tuple(recent)
        try:
            if len(content) > INLINE_SCAN_BYTES:
                result = await asyncio.to_thread(
                    scan_websocket_message, message, self.config, safe, earlier
                )
            else:
                result = scan_websocket_message(message, self.config, safe, earlier)
        except Exception as exc:
            _log.error("websocket scan failed; dropping", {"error": type(exc).__name__})
            return Denied(
                "body-invalid",
                "the message could not be scanned",
                flow.request.pretty_host,
                flow.request.port,
            )
        if result.clean:
            # Bounded: the last WS_RECENT_MESSAGES messages, WS_RECENT_BYTES of each.
            recent.append(content[-WS_RECENT_BYTES:])
            del recent[:-WS_RECENT_MESSAGES]
            return None
        flow.metadata[META_DETECTORS] = tuple(sorted({f.detector for f in result.findings}))
        return Denied(
            "websocket-secret",
            self._summary(result.findings),
            flow.request.pretty_host,
            flow.request.port,
        )
