"""What is scanned in a body: Content-Encoding, caps, multipart, forms, JSON escapes."""

from __future__ import annotations

import base64
import gzip
import quopri
import zlib

import brotli  # type: ignore[import-untyped]
import pytest
import zstandard

from bb_dlp import DlpConfig, redact_tokens, scan_outbound
from bb_dlp.testing import make_request

SECRET = "Qm7vRt4wYb8nZx9kQ2pLjH3s"
CONFIG = DlpConfig.from_environ({"EGRESS_TOKEN_API": SECRET})
PAYLOAD = b'{"prompt": "here is the key ' + SECRET.encode() + b' thanks"}'

CODECS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "raw-deflate": lambda d: _raw_deflate(d),
    "br": brotli.compress,
    "zstd": zstandard.ZstdCompressor().compress,
}


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


def _header_for(codec: str) -> str:
    return "deflate" if codec == "raw-deflate" else codec


def _names(request_body: bytes, headers: list[tuple[str, str]]) -> set[str]:
    result = scan_outbound(make_request(headers=headers, body=request_body), CONFIG)
    return {f.detector for f in result.findings}


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_a_secret_in_a_compressed_body_is_found(codec: str) -> None:
    """gzip, deflate (zlib and raw), br and zstd bodies are decoded, then scanned."""
    body = CODECS[codec](PAYLOAD)
    assert "known_secrets" in _names(body, [("Content-Encoding", _header_for(codec))])


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_redacting_a_compressed_body_sends_it_decoded_without_the_secret(codec: str) -> None:
    """The scrubbed body goes out as identity; Content-Encoding is removed."""
    request = make_request(
        headers=[("Content-Encoding", _header_for(codec))], body=CODECS[codec](PAYLOAD)
    )
    redacted = redact_tokens(request, scan_outbound(request, CONFIG).findings)
    assert SECRET.encode() not in redacted.body
    assert all(n.lower() != "content-encoding" for n, _ in redacted.headers)
    assert scan_outbound(redacted, CONFIG).clean


@pytest.mark.parametrize(
    ("encoding", "body", "problem"),
    [
        ("gzip, gzip", gzip.compress(gzip.compress(PAYLOAD)), "stacked"),
        ("gzip, br", b"anything", "stacked"),
        ("compress", b"anything", "unsupported"),
        ("gzip", b"not gzip at all", "undecodable"),
        ("gzip", gzip.compress(PAYLOAD)[:-12], "undecodable"),
        ("br", b"\xff\xff\xff", "undecodable"),
        ("zstd", b"\x28\xb5\x2f\xfd garbage", "undecodable"),
    ],
)
def test_stacked_unknown_or_broken_encodings_are_findings(
    encoding: str, body: bytes, problem: str
) -> None:
    """Never "scan the raw bytes and pass": the body is refused with a reason."""
    result = scan_outbound(
        make_request(headers=[("Content-Encoding", encoding)], body=body), CONFIG
    )
    [finding] = [f for f in result.findings if f.detector == "encoding"]
    assert problem in finding.preview
    assert not finding.redactable


def test_a_body_decompressing_past_the_cap_is_a_finding() -> None:
    """A decompression bomb is stopped at the cap, not inflated into memory."""
    config = DlpConfig.from_environ({}, None)
    small_cap = DlpConfig(config.detectors, config.secrets, max_decoded_bytes=1024 * 1024)
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    result = scan_outbound(
        make_request(headers=[("Content-Encoding", "gzip")], body=bomb), small_cap
    )
    assert [f.preview for f in result.findings if f.detector == "encoding"] == [
        f"gzip body decodes to more than {1024 * 1024} bytes"
    ]


def test_identity_encoding_is_scanned_as_is() -> None:
    """``identity`` is no encoding at all."""
    assert "known_secrets" in _names(PAYLOAD, [("Content-Encoding", "identity")])


def _multipart(part: bytes) -> bytes:
    return b"--b0undary\r\n" + part + b"\r\n--b0undary--\r\n"


MULTIPART = [("Content-Type", 'multipart/form-data; boundary="b0undary"')]


@pytest.mark.parametrize(
    "part",
    [
        b'Content-Disposition: form-data; name="f"\r\n\r\n' + SECRET.encode(),
        b"X-First-Header-Not-Disposition: 1\r\n\r\n" + SECRET.encode(),
        b'Content-Disposition: form-data; name="f"; filename="' + SECRET.encode() + b'"\r\n\r\nx',
        b'Content-Disposition: form-data; name="f"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(b"prefix!" + SECRET.encode()),
        b'Content-Disposition: form-data; name="f"\r\nContent-Transfer-Encoding: quoted-printable'
        b"\r\n\r\n" + quopri.encodestring(SECRET.encode(), quotetabs=True).replace(b"m", b"=6D"),
    ],
    ids=["plain", "first-header-not-disposition", "filename", "base64-cte", "quoted-printable"],
)
def test_a_secret_in_any_multipart_part_is_found(part: bytes) -> None:
    """Every part, part headers and filenames, transfer encodings decoded (we parse ourselves)."""
    assert "known_secrets" in _names(_multipart(part), MULTIPART)


def test_a_multipart_body_without_a_boundary_is_a_finding() -> None:
    """A multipart body that cannot be split is refused rather than passed."""
    result = scan_outbound(
        make_request(headers=[("Content-Type", "multipart/form-data")], body=b"--x\r\n"), CONFIG
    )
    assert [f.detector for f in result.findings] == ["encoding"]


def test_form_fields_are_decoded() -> None:
    """A form-encoded value, percent-escaped byte by byte, is found."""
    body = b"user=me&key=" + "".join(f"%{b:02x}" for b in SECRET.encode()).encode()
    assert "known_secrets" in _names(body, [("Content-Type", "application/x-www-form-urlencoded")])


def test_a_binary_body_is_scanned_as_latin1() -> None:
    """ASCII secrets inside binary data are found; every byte maps to one character."""
    body = bytes(range(256)) + SECRET.encode() + bytes(range(255, -1, -1))
    result = scan_outbound(make_request(body=body), CONFIG)
    [finding] = result.findings
    assert finding.matched == SECRET
    assert finding.span == (256, 256 + len(SECRET))
