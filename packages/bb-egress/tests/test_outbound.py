"""Specification of bb_egress.outbound: the on-match policy and credential injection.

Runs the real DLP engine (`bb_dlp`) on mitmproxy test flows. The secret is a known
one (an ``EGRESS_TOKEN_*`` value in the proxy's environment), so detection does not depend
on any one token pattern.
"""

import gzip

import pytest
from mitmproxy import http
from mitmproxy.test import tflow, tutils

from bb_dlp import DlpConfig
from bb_egress.outbound import INLINE_SCAN_BYTES, OutboundScanner, expand_headers
from bb_egress.policy import Denied
from bb_egress.token_approval import DisabledChannel, TokenApprover, TokenProposal, Verdict
from bb_protocol.routes import Route

SECRET = "zq7XkP2mVb9LrT4wN8cHs3JdF6gY1uEa"
ENV = {
    "EGRESS_TOKEN_UPLOAD": SECRET,
    "EGRESS_TOKEN_GITHUB": "ghs_injectedvalue0123456789abcdefABCD",
}


class ApproveAll:
    """An approval channel whose operator approves everything and counts asks."""

    def __init__(self) -> None:
        self.asked: list[TokenProposal] = []

    async def ask(self, proposal: TokenProposal, timeout: float) -> Verdict:
        self.asked.append(proposal)
        return Verdict(True, "ok")


def _scanner(channel: object | None = None) -> OutboundScanner:
    approver = TokenApprover(channel or DisabledChannel(), timeout=5)  # type: ignore[arg-type]
    return OutboundScanner(DlpConfig.from_environ(ENV), approver, ENV)


def _flow(
    body: bytes = b"hello", path: str = "/v1", headers: dict[str, str] | None = None
) -> http.HTTPFlow:
    request = tutils.treq(
        host="api.example.com",
        port=443,
        scheme=b"https",
        method=b"POST",
        path=path.encode(),
        headers=http.Headers(((b"host", b"api.example.com"),)),
        content=body,
    )
    flow = tflow.tflow(req=request)
    for name, value in (headers or {}).items():
        flow.request.headers[name] = value
    return flow


def _route(**fields: object) -> Route:
    return Route.model_validate({"host": "api.example.com", **fields})


@pytest.mark.anyio
async def test_a_clean_request_passes_with_the_injected_credential() -> None:
    """The agent's own Authorization is replaced by the route's, expanded from the env."""
    flow = _flow(headers={"Authorization": "Bearer placeholder-from-agent"})
    route = _route(inject_headers={"Authorization": "Bearer ${EGRESS_TOKEN_GITHUB}"})
    outcome = await _scanner().process(flow, route, "b")
    assert outcome == "allow"
    assert flow.request.headers.get_all("Authorization") == [f"Bearer {ENV['EGRESS_TOKEN_GITHUB']}"]


@pytest.mark.anyio
async def test_a_missing_credential_variable_refuses_the_request() -> None:
    """Fail closed: no variable, no request."""
    route = _route(inject_headers={"X-Key": "${EGRESS_TOKEN_ABSENT}"})
    outcome = await _scanner().process(_flow(), route, "b")
    assert isinstance(outcome, Denied)
    assert outcome.reason == "injection-unavailable"


def test_expand_headers_names_the_missing_variable() -> None:
    """The missing variable is reported by name (never a value)."""
    route = _route(inject_headers={"X-Key": "k=${EGRESS_TOKEN_A}"})
    assert expand_headers(route, {}) == "EGRESS_TOKEN_A"
    assert expand_headers(route, {"EGRESS_TOKEN_A": "v"}) == [("X-Key", "k=v")]


@pytest.mark.parametrize(
    ("flow_kwargs", "surface"),
    [
        ({"body": f"token={SECRET}".encode()}, "body"),
        ({"path": f"/v1?key={SECRET}"}, "path"),
        ({"headers": {"X-Leak": SECRET}}, "header"),
        (
            {
                "body": gzip.compress(f"data {SECRET} end".encode()),
                "headers": {"Content-Encoding": "gzip"},
            },
            "gzip body",
        ),
        ({"body": b"x" * (INLINE_SCAN_BYTES + 10) + SECRET.encode()}, "large body (worker thread)"),
    ],
)
@pytest.mark.anyio
async def test_block_refuses_a_secret_anywhere_in_the_request(
    flow_kwargs: dict[str, object], surface: str
) -> None:
    """Body, query, headers, compressed and large bodies are all scanned."""
    outcome = await _scanner().process(_flow(**flow_kwargs), _route(outbound_on_match="block"), "b")  # type: ignore[arg-type]
    assert isinstance(outcome, Denied), surface
    assert outcome.reason == "dlp-block"
    assert SECRET not in outcome.detail


@pytest.mark.anyio
async def test_redact_scrubs_the_value_and_forwards() -> None:
    """The secret is gone from the body and the query; the request goes out."""
    flow = _flow(body=f"token={SECRET}&x=1".encode(), path=f"/v1?key={SECRET}")
    outcome = await _scanner().process(flow, _route(outbound_on_match="redact"), "b")
    assert outcome == "redact"
    assert SECRET.encode() not in (flow.request.raw_content or b"")
    assert SECRET not in flow.request.path


@pytest.mark.anyio
async def test_supervise_without_an_operator_refuses() -> None:
    """Supervise disabled (or no queue): the request is refused, never forwarded."""
    outcome = await _scanner().process(_flow(body=SECRET.encode()), _route(), "b")
    assert isinstance(outcome, Denied)
    assert outcome.reason == "dlp-rejected"


@pytest.mark.anyio
async def test_supervise_asks_once_then_remembers_the_approved_value() -> None:
    """After approval the same value passes without asking again; the ask has no raw value."""
    channel = ApproveAll()
    scanner = _scanner(channel)
    for _ in range(2):
        outcome = await scanner.process(_flow(body=SECRET.encode()), _route(), "b")
        assert outcome in {"approved", "allow"}
    assert len(channel.asked) == 1
    proposal = channel.asked[0]
    assert SECRET not in repr(proposal)
    assert proposal.host == "api.example.com"


@pytest.mark.parametrize(("size", "off_loop"), [(100, False), (INLINE_SCAN_BYTES + 1, True)])
@pytest.mark.anyio
async def test_large_bodies_are_scanned_off_the_event_loop_thread(
    monkeypatch: pytest.MonkeyPatch, size: int, off_loop: bool
) -> None:
    """One big upload never blocks the loop every other flow runs on."""
    import threading

    import bb_egress.outbound as outbound

    threads: list[threading.Thread] = []
    real = outbound.scan_outbound

    def recording(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbound, "scan_outbound", recording)
    assert await _scanner().process(_flow(body=b"a" * size), _route(), "b") == "allow"
    assert (threads[0] is not threading.main_thread()) is off_loop


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (gzip.compress(b"\0" * 200_000), "gzip"),
        (b"not gzip at all", "gzip"),
        (gzip.compress(gzip.compress(b"x")), "gzip, gzip, br"),
    ],
)
@pytest.mark.parametrize("policy", ["redact", "block", "supervise"])
@pytest.mark.anyio
async def test_bodies_that_cannot_be_decoded_within_the_cap_are_refused(
    body: bytes, encoding: str, policy: str
) -> None:
    """A decompression bomb, a corrupt or an unknown encoding fails closed under every policy."""
    config = DlpConfig.from_secrets({}, max_decoded_bytes=100_000)
    scanner = OutboundScanner(config, TokenApprover(ApproveAll(), timeout=5), ENV)
    flow = _flow(body=body, headers={"Content-Encoding": encoding})
    outcome = await scanner.process(flow, _route(outbound_on_match=policy), "b")
    assert isinstance(outcome, Denied)
    assert outcome.reason == "body-invalid"


@pytest.mark.anyio
async def test_an_injecting_route_records_the_values_and_asks_for_identity_bodies() -> None:
    """The response side needs the real values (to scrub) and plain bodies (to stream)."""
    flow = _flow(headers={"Accept-Encoding": "gzip, br"})
    route = _route(inject_headers={"Authorization": "Bearer ${EGRESS_TOKEN_GITHUB}"})
    assert await _scanner().process(flow, route, "b") == "allow"
    assert flow.metadata["bb_injected"] == (ENV["EGRESS_TOKEN_GITHUB"],)
    assert flow.request.headers["Accept-Encoding"] == "identity"


def _fresh_scanner(value: str) -> OutboundScanner:
    env = {"EGRESS_TOKEN_FRESH": value}
    approver = TokenApprover(DisabledChannel(), timeout=5)
    return OutboundScanner(DlpConfig.from_environ(env), approver, env)


def _fresh(length: int) -> str:
    import secrets
    import string

    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        if len(set(value)) >= 12:
            return value


@pytest.mark.anyio
async def test_a_secret_split_between_a_header_and_the_body_is_refused() -> None:
    """A fresh 24-character secret, 12 in a header and 12 in the body: blocked."""
    value = _fresh(24)
    flow = _flow(body=value[12:].encode(), headers={"X-Session": value[:12]})
    outcome = await _fresh_scanner(value).process(flow, _route(outbound_on_match="block"), "b")
    assert isinstance(outcome, Denied)
    assert outcome.reason == "dlp-block"


@pytest.mark.anyio
async def test_an_upper_cased_hex_secret_is_redacted_on_a_redact_route() -> None:
    """The upper-cased hex is located, scrubbed, and the request goes out without it."""
    import secrets

    value = secrets.token_hex(20)
    flow = _flow(body=f'{{"sig": "{value.upper()}"}}'.encode(), path=f"/v1?s={value.upper()}")
    outcome = await _fresh_scanner(value).process(flow, _route(outbound_on_match="redact"), "b")
    assert outcome == "redact"
    assert value.upper().encode() not in (flow.request.raw_content or b"")
    assert value.upper() not in flow.request.path


@pytest.mark.anyio
async def test_websocket_pieces_in_consecutive_messages_are_refused() -> None:
    """The connection keeps its recent messages: the message completing a secret is dropped."""
    value = _fresh(40)
    scanner = _fresh_scanner(value)
    flow = _flow()
    parts = [value[:14], value[14:27], value[27:]]
    verdicts = [await scanner.scan_websocket(flow, p.encode(), True) for p in parts]
    assert verdicts[:2] == [None, None]
    assert isinstance(verdicts[2], Denied)
    assert verdicts[2].reason == "websocket-secret"


@pytest.mark.anyio
async def test_websocket_history_is_bounded() -> None:
    """At most WS_RECENT_MESSAGES earlier messages of WS_RECENT_BYTES each are kept."""
    from bb_egress.outbound import META_WS_RECENT, WS_RECENT_BYTES, WS_RECENT_MESSAGES

    scanner = _fresh_scanner(_fresh(40))
    flow = _flow()
    for i in range(WS_RECENT_MESSAGES + 5):
        assert await scanner.scan_websocket(flow, b"x" * (WS_RECENT_BYTES + i), False) is None
    recent = flow.metadata[META_WS_RECENT]
    assert len(recent) == WS_RECENT_MESSAGES
    assert all(len(m) == WS_RECENT_BYTES for m in recent)


@pytest.mark.anyio
async def test_a_secret_split_across_two_requests_to_one_destination_is_refused() -> None:
    """The first half passes; the request carrying the second half a moment later is refused."""
    value = _fresh(28)
    scanner = _fresh_scanner(value)
    route = _route(outbound_on_match="block")
    first = await scanner.process(_flow(body=f"a={value[:14]}".encode()), route, "b")
    second = await scanner.process(_flow(body=f"b={value[14:]}".encode()), route, "b")
    assert first == "allow"
    assert isinstance(second, Denied)
    assert second.reason == "dlp-block"


@pytest.mark.anyio
async def test_pieces_are_kept_per_destination_and_bounded() -> None:
    """Another destination's half does not join; at most RECENT_REQUESTS are remembered."""
    from bb_egress.outbound import RECENT_REQUESTS

    value = _fresh(28)
    scanner = _fresh_scanner(value)
    route = _route(outbound_on_match="block")
    other = _flow(body=f"a={value[:14]}".encode())
    other.request.host = "other.example.com"
    assert await scanner.process(other, route, "b") == "allow"
    assert await scanner.process(_flow(body=f"b={value[14:]}".encode()), route, "b") == "allow"
    for i in range(RECENT_REQUESTS + 3):
        await scanner.process(_flow(body=f"c={value[i : i + 6]}".encode()), route, "b")
    assert all(len(kept) <= RECENT_REQUESTS for kept in scanner._recent.values())
