"""crlf (request line and headers only) and unicode_evasion."""

from __future__ import annotations

import pytest

from bb_dlp import DlpConfig, scan_outbound, strip_crlf
from bb_dlp.testing import make_request

SECRET = "Qm7vRt4wYb8nZx9kQ2pLjH3s"
CONFIG = DlpConfig.from_environ({"EGRESS_TOKEN_API": SECRET})


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/a\r\nX-Injected: 1", []),
        ("/a%0d%0aX-Injected:%201", []),
        ("/a%0D%0AX-Injected", []),
        ("/a%0aSet-Cookie", []),
        ("/", [("X-Note", "a\r\nX-Injected: 1")]),
        ("/", [("X-Note", "a%0D%0aX-Injected")]),
        ("/", [("X-Bad\nName", "v")]),
    ],
)
def test_crlf_in_the_request_line_or_headers_is_a_finding(
    path: str, headers: list[tuple[str, str]]
) -> None:
    """Raw or percent-encoded CR/LF, any case, in the path or a header is reported."""
    result = scan_outbound(make_request(path, headers), CONFIG)
    assert {f.detector for f in result.findings} == {"crlf"}
    assert strip_crlf(make_request(path, headers)) != make_request(path, headers)
    assert scan_outbound(strip_crlf(make_request(path, headers)), CONFIG).clean


def test_crlf_in_a_body_is_never_a_finding() -> None:
    """A body is delimited by Content-Length: multipart and form bodies are full of CRLF."""
    body = b"a=1%0D%0A&b=2\r\n--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n"
    headers = [("Content-Type", "multipart/form-data; boundary=x")]
    assert scan_outbound(make_request("/", headers, body), CONFIG).clean


def _spread(text: str, sep: str) -> str:
    return sep.join(text)


@pytest.mark.parametrize(
    "rendering",
    [
        _spread(SECRET, "\u200b"),
        _spread(SECRET, "\u200d"),
        _spread(SECRET, "\u2060"),
        _spread(SECRET, "\ufeff"),
        _spread(SECRET, "\u00ad"),
        _spread(SECRET, "\u200e"),
        _spread(SECRET, "\u202e"),
        _spread(SECRET, "\U000e0041"),
        _spread(SECRET, "\u0336"),
        "".join(chr(ord(c) + 0xFEE0) for c in SECRET),
        SECRET.replace("Q", "\u24c6"),
        SECRET.replace("m", "\U0001d426"),
        SECRET.replace("Y", "\u03a5").replace("H", "\u041d"),
    ],
    ids=[
        "zwsp",
        "zwj",
        "word-joiner",
        "bom",
        "soft-hyphen",
        "lrm",
        "rlo",
        "tag-block",
        "combining-overlay",
        "fullwidth",
        "circled",
        "math-bold",
        "greek-cyrillic-homoglyphs",
    ],
)
def test_secrets_hidden_with_unicode_are_normalised_and_found(rendering: str) -> None:
    """Invisible, bidi, tag, combining, compatibility and homoglyph forms are folded first."""
    request = make_request(body=('{"text": "' + rendering + '"}').encode())
    result = scan_outbound(request, CONFIG)
    assert "unicode_evasion" in {f.detector for f in result.findings}


def test_unicode_evasion_can_be_left_out() -> None:
    """Without the detector the folded view is not built (the raw secret is still found)."""
    config = DlpConfig.from_environ({"EGRESS_TOKEN_API": SECRET}, ["known_secrets"])
    request = make_request(body=("\u200b".join(SECRET)).encode())
    assert "unicode_evasion" not in {f.detector for f in scan_outbound(request, config).findings}


def test_ordinary_non_ascii_text_is_not_a_finding() -> None:
    """CJK, accents, emoji and typographic punctuation are just text."""
    text = "日本語のテキスト\uff0ccafé \u2014 naïve \u201cquotes\u201d 🙂 Ελληνικά кириллица"
    assert scan_outbound(make_request(body=text.encode() * 50), CONFIG).clean
