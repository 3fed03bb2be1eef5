"""Known secrets split, re-encoded or wrapped so that no single rendering shows them.

Every test draws fresh random secrets (``secrets`` module, URL-reserved characters
included), so nothing here is tuned to fixed values. Each class of issue 14 ("known secrets
that still get through") has its own test; the benign corpus stays at zero findings.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import gzip
import quopri
import secrets
import string
import textwrap
import zlib
from urllib.parse import quote

import pytest
import zstandard

from bb_dlp import DlpConfig, WebSocketMessage, redact_tokens, scan_outbound, scan_websocket_message
from bb_dlp.secrets import PIECE_MIN_LEN
from bb_dlp.testing import make_request, negative_corpus

ALNUM = string.ascii_letters + string.digits
RESERVED = "%!&+/"


def _fresh(length: int = 24, alphabet: str = ALNUM) -> str:
    """A random secret: alphanumerics with 3-5 of ``alphabet``'s other characters mixed in."""
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        enough = sum(c.isalnum() for c in value) >= length * 2 // 3
        if enough and len(set(value)) >= min(12, length - 2):
            return value


def _config(value: str) -> DlpConfig:
    return DlpConfig.from_environ({"EGRESS_TOKEN_FRESH": value})


def _names(request_findings: object) -> set[str | None]:
    return {f.secret_name for f in request_findings.findings}  # type: ignore[attr-defined]


def _caught(request: object, value: str) -> bool:
    return "EGRESS_TOKEN_FRESH" in _names(scan_outbound(request, _config(value)))  # type: ignore[arg-type]


def _file_with(value: str) -> bytes:
    """A file of random bytes with the secret at a random offset (so any alignment occurs)."""
    pad = secrets.randbelow(7)
    return secrets.token_bytes(40 + pad) + value.encode() + secrets.token_bytes(40)


# --- split below the 16-character window -------------------------------------------------


@pytest.mark.parametrize("run", range(5))
def test_a_password_split_between_a_header_and_the_body_is_caught(run: int) -> None:
    """24 characters, 12 in a header and 12 in the body: pieces that cover the whole secret."""
    value = _fresh(24, ALNUM + RESERVED)
    cut = 12
    request = make_request(
        headers=[("X-Session", value[:cut])], body=b'{"note": "' + value[cut:].encode() + b'"}'
    )
    result = scan_outbound(request, _config(value))
    surfaces = {f.surface for f in result.findings if f.secret_name == "EGRESS_TOKEN_FRESH"}
    assert surfaces == {"header:x-session", "body"}, result


def test_a_split_secret_is_redacted_piece_by_piece() -> None:
    """On a redact route each piece is located, and the rewritten request is clean."""
    value = _fresh(24)
    request = make_request(
        "/q?a=" + value[:8], [("X-A", value[8:16])], body=b"tail=" + value[16:].encode()
    )
    result = scan_outbound(request, _config(value))
    assert result.findings
    assert all(f.redactable for f in result.findings)
    assert scan_outbound(redact_tokens(request, result.findings), _config(value)).clean


@pytest.mark.parametrize("run", range(5))
def test_pieces_of_at_most_15_characters_over_url_header_and_body_are_caught(run: int) -> None:
    """40 characters in pieces of 13-14 spread over the query, a header and the body."""
    value = _fresh(40)
    a, b, c = value[:13], value[13:27], value[27:]
    request = make_request(
        f"/v1/items?page=2&cursor={a}", [("X-Trace", f"id={b}")], body=f"x={c}&y=1".encode()
    )
    assert _caught(request, value)


def test_pieces_that_do_not_cover_the_whole_secret_are_not_reported() -> None:
    """Two thirds of a secret in pieces below the window: no finding (no 4-character guess)."""
    value = _fresh(36)
    request = make_request(f"/q?a={value[:12]}", [("X-B", value[12:24])], body=b"nothing")
    assert scan_outbound(request, _config(value)).clean


def test_pieces_shorter_than_the_piece_length_are_the_stated_bound() -> None:
    """Cut into pieces of PIECE_MIN_LEN - 1 with noise between: not caught, by design."""
    value = _fresh(20)
    k = PIECE_MIN_LEN - 1
    parts = [value[i : i + k] for i in range(0, len(value), k)]
    request = make_request(body=" | ".join(f"{i}:{p}" for i, p in enumerate(parts)).encode())
    assert not _caught(request, value)


@pytest.mark.parametrize("run", range(3))
def test_pieces_spread_over_consecutive_websocket_messages_are_caught(run: int) -> None:
    """Three messages of 14, 13 and 13 characters: the last one completes the secret."""
    value = _fresh(40)
    config = _config(value)
    parts = [value[:14].encode(), value[14:27].encode(), value[27:].encode()]
    recent: list[bytes] = []
    for i, part in enumerate(parts):
        message = WebSocketMessage("ws.example.com", "/s", b'{"t":"' + part + b'"}', True)
        result = scan_websocket_message(message, config, recent=tuple(recent))
        if i < len(parts) - 1:
            assert result.clean, result
            recent.append(message.content)
        else:
            assert "EGRESS_TOKEN_FRESH" in _names(result)


# --- URL-reserved characters --------------------------------------------------------------


@pytest.mark.parametrize("where", ["query", "path"])
@pytest.mark.parametrize("run", range(5))
def test_a_secret_with_url_reserved_characters_sent_percent_encoded_is_caught(
    where: str, run: int
) -> None:
    """``%41`` inside the secret itself survives: every decoding layer is a view."""
    value = _fresh(20, ALNUM + RESERVED) + "%41" + secrets.choice("!&+/") + _fresh(6)
    encoded = quote(value, safe="")
    path = f"/v1/search?q={encoded}&n=1" if where == "query" else f"/files/{encoded}/raw"
    assert _caught(make_request(path), value)


# --- wrapped base64, spaced or wrapped hex, case ------------------------------------------


@pytest.mark.parametrize("width", [76, 60])
@pytest.mark.parametrize("run", range(3))
def test_base64_of_a_file_wrapped_at_76_or_60_columns_is_caught(width: int, run: int) -> None:
    """MIME (76) and PEM-style (60) wrapping of the base64 of a file holding the secret."""
    value = _fresh(32)
    text = "\n".join(textwrap.wrap(base64.b64encode(_file_with(value)).decode(), width))
    assert _caught(make_request(body=text.encode()), value)


def _xxd_p(data: bytes) -> str:
    h = data.hex()
    return "\n".join(h[i : i + 60] for i in range(0, len(h), 60))


def _od_tx1(data: bytes, addresses: bool) -> str:
    lines = []
    for i in range(0, len(data), 16):
        row = " ".join(f"{b:02x}" for b in data[i : i + 16])
        lines.append((f"{i:07o} " if addresses else " ") + row)
    return "\n".join(lines)


def _od_x(data: bytes) -> str:
    data = data + b"\0" * (len(data) % 2)
    lines = []
    for i in range(0, len(data), 16):
        words = [f"{data[j + 1]:02x}{data[j]:02x}" for j in range(i, min(i + 16, len(data)), 2)]
        lines.append(f"{i:07o} " + " ".join(words))
    return "\n".join(lines)


HEX_DUMPS = {
    "spaces": lambda d: " ".join(f"{b:02x}" for b in d),
    "colons": lambda d: ":".join(f"{b:02X}" for b in d),
    "xxd -p": _xxd_p,
    "od -An -tx1": lambda d: _od_tx1(d, False),
    "od -tx1": lambda d: _od_tx1(d, True),
    "od -x": _od_x,
}


@pytest.mark.parametrize("dump", sorted(HEX_DUMPS))
@pytest.mark.parametrize("run", range(3))
def test_hex_with_spaces_colons_or_line_wraps_is_caught(dump: str, run: int) -> None:
    """Hex dumps of a file holding the secret, as ``xxd -p`` and ``od`` print them."""
    value = _fresh(32, ALNUM + RESERVED)
    assert _caught(make_request(body=HEX_DUMPS[dump](_file_with(value)).encode()), value)


@pytest.mark.parametrize("run", range(5))
def test_an_upper_cased_hex_secret_is_caught_and_redacted(run: int) -> None:
    """Upper-casing hex is lossless; the finding is located, so a redact route scrubs it."""
    value = secrets.token_hex(20)
    config = _config(value)
    request = make_request(
        "/v1?sig=" + value.upper(), body=b'{"digest": "' + value.upper().encode() + b'"}'
    )
    result = scan_outbound(request, config)
    assert {f.surface for f in result.findings} == {"url", "body"}
    assert all(f.redactable for f in result.findings)
    assert scan_outbound(redact_tokens(request, result.findings), config).clean


@pytest.mark.parametrize("case", ["lower", "upper"])
def test_a_secret_with_its_case_carried_separately_is_caught(case: str) -> None:
    """The letters folded to one case, the case pattern sent as a bitmask beside it."""
    value = _fresh(32)
    folded = value.lower() if case == "lower" else value.upper()
    mask = "".join("1" if c.isupper() else "0" for c in value)
    assert _caught(make_request(body=f"v={folded}&m={mask}".encode()), value)


# --- quoted-printable, HTML entities, base85 -------------------------------------------------


def _qp(value: str) -> bytes:
    # Force a soft line break in the middle of the secret, as a 76-column encoder would.
    return quopri.encodestring(b"x" * (76 - 12) + value.encode() + b"\n")


@pytest.mark.parametrize("run", range(3))
def test_quoted_printable_bare_is_caught(run: int) -> None:
    """``=3D`` escapes and soft line breaks inside the secret, in a plain body."""
    value = _fresh(30, ALNUM + "=&!") + "="
    body = _qp(value)
    assert b"=3D" in body
    assert b"=\n" in body
    assert _caught(make_request(body=body), value)


def test_quoted_printable_inside_a_nested_multipart_is_caught() -> None:
    """A quoted-printable part two multipart levels down (the parser decodes one level)."""
    value = _fresh(30, ALNUM + "=&!") + "="
    inner = (
        b"--In\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + _qp(value).replace(b"\n", b"\r\n")
        + b"\r\n--In--\r\n"
    )
    body = (
        b'--Out\r\nContent-Type: multipart/mixed; boundary="In"\r\n\r\n'
        + inner
        + b"\r\n--Out--\r\n"
    )
    headers = [("Content-Type", "multipart/mixed; boundary=Out")]
    assert _caught(make_request(headers=headers, body=body), value)


@pytest.mark.parametrize("style", ["named", "decimal", "hex"])
def test_html_entities_are_caught(style: str) -> None:
    """Every character as a decimal or hex reference, or the reserved ones as named ones."""
    value = _fresh(24, ALNUM + "&<>\"'")
    if style == "decimal":
        text = "".join(f"&#{ord(c)};" for c in value)
    elif style == "hex":
        text = "".join(f"&#x{ord(c):X};" for c in value)
    else:
        named = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
        text = "".join(named.get(c, c) for c in value)
    assert _caught(make_request(body=f"<p>{text}</p>".encode()), value)


@pytest.mark.parametrize("encoder", [base64.a85encode, base64.b85encode])
@pytest.mark.parametrize("place", ["raw", "json"])
def test_base85_of_a_file_is_caught(encoder: object, place: str) -> None:
    """Ascii85 and base85 of a file holding the secret at any alignment, also in JSON."""
    value = _fresh(28, ALNUM + RESERVED)
    text = encoder(_file_with(value)).decode()  # type: ignore[operator]
    if place == "json":
        text = '{"blob": "' + text.replace("\\", "\\\\").replace('"', '\\"') + '"}'
    assert _caught(make_request(body=text.encode()), value)


# --- compressed without saying so ---------------------------------------------------------

COMPRESSORS = {
    "gzip": gzip.compress,
    "zlib": zlib.compress,
    "zstd": lambda d: zstandard.ZstdCompressor().compress(d),
}


@pytest.mark.parametrize("codec", sorted(COMPRESSORS))
def test_a_compressed_body_without_content_encoding_is_caught(codec: str) -> None:
    """Magic numbers decide: the body is decompressed even though no header says so."""
    value = _fresh(24, ALNUM + RESERVED)
    body = COMPRESSORS[codec](b'{"text": "' + value.encode() + b'"}')
    assert _caught(make_request(body=body), value)


def test_a_gzip_transfer_encoded_body_is_caught() -> None:
    """``Transfer-Encoding: gzip, chunked``: de-chunked by the proxy, inflated by magic here."""
    value = _fresh(24)
    body = gzip.compress(value.encode())
    request = make_request(headers=[("Transfer-Encoding", "gzip, chunked")], body=body)
    assert _caught(request, value)


def test_a_compression_bomb_without_content_encoding_is_a_finding() -> None:
    """Past the cap, the sniffed stream is refused, never passed unscanned."""
    config = DlpConfig.from_secrets({"K": _fresh(24)}, max_decoded_bytes=1000)
    result = scan_outbound(make_request(body=gzip.compress(b"a" * 10_000)), config)
    assert [f.detector for f in result.findings] == ["encoding"]


# --- reversed, base32, nested, rot13 ---------------------------------------------------------


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


TRANSFORMS = {
    "reversed": lambda f: f[::-1],
    "base32": base64.b32encode,
    "base32-lower": lambda f: base64.b32encode(f).lower(),
    "base64 of base64": lambda f: _b64(_b64(f)),
    "hex of base64": lambda f: binascii.hexlify(_b64(f)),
    "rot13": lambda f: codecs.encode(f.decode("latin-1"), "rot13").encode("latin-1"),
}


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("run", range(3))
def test_reversed_base32_nested_base64_hex_of_base64_and_rot13_are_caught(
    transform: str, run: int
) -> None:
    """Each transform of a text holding the secret at a random offset."""
    value = _fresh(28, ALNUM + RESERVED)
    text = ("note " * secrets.randbelow(5) + f"key={value} end").encode()
    assert _caught(make_request(body=TRANSFORMS[transform](text)), value)


# --- the benign corpus ----------------------------------------------------------------------


def test_fresh_secrets_raise_nothing_on_the_benign_corpus() -> None:
    """Twenty fresh secrets with every new rendering and piece: zero findings on benign traffic."""
    config = DlpConfig.from_environ(
        {f"EGRESS_TOKEN_{i}": _fresh(40, ALNUM + RESERVED) for i in range(20)}
    )
    findings = [f for r in negative_corpus() for f in scan_outbound(r, config).findings]
    assert findings == []


def test_pieces_of_earlier_requests_complete_a_secret_in_the_next_one() -> None:
    """The first half passes and reports its pieces (offsets only); with them, the second half
    is caught; without them it is not."""
    value = _fresh(28)
    config = _config(value)
    first = scan_outbound(make_request(body=f"a={value[:14]}".encode()), config)
    assert first.clean
    assert [name for name, _offsets in first.pieces] == ["EGRESS_TOKEN_FRESH"]
    second = make_request(body=f"b={value[14:]}".encode())
    assert scan_outbound(second, config).clean
    assert "EGRESS_TOKEN_FRESH" in _names(scan_outbound(second, config, earlier=first.pieces))
