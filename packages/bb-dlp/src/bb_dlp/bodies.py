"""Request bodies as sent to what the engine scans: Content-Encoding and multipart.

Decoding is strict and fails closed: an unknown, stacked or broken encoding, or output over
the size cap, is reported as a problem (the engine turns it into a finding) rather than
"scan the raw bytes and pass". Multipart is parsed here because mitmproxy's parser drops parts
whose first header is not Content-Disposition and ignores Content-Transfer-Encoding.
"""

from __future__ import annotations

import base64
import binascii
import io
import quopri
import re
import zlib
from dataclasses import dataclass
from typing import Final

import brotli  # type: ignore[import-untyped]
import zstandard

__all__ = ["DecodedBody", "content_encodings", "decode_body", "multipart_parts"]

_KNOWN: Final = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd"})


@dataclass(frozen=True, slots=True)
class DecodedBody:
    """The body to scan, the encoding that was removed (or None), and any problem found."""

    data: bytes
    encoding: str | None
    problem: str | None


def content_encodings(headers: list[tuple[str, str]]) -> list[str]:
    """Every Content-Encoding token, in order, ``identity`` removed, lower-cased."""
    out: list[str] = []
    for name, value in headers:
        if name.lower() == "content-encoding":
            out.extend(t.strip().lower() for t in value.split(",") if t.strip())
    return [t for t in out if t != "identity"]


def _inflate(data: bytes, wbits: int, cap: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, cap + 1)
    if len(out) > cap:
        raise OverflowError
    if not d.eof:
        raise ValueError("truncated stream")
    return out


def _decode_one(codec: str, data: bytes, cap: int) -> bytes:
    if codec in ("gzip", "x-gzip"):
        return _inflate(data, 31, cap)
    if codec == "deflate":
        try:
            return _inflate(data, 15, cap)
        except zlib.error:
            return _inflate(data, -15, cap)
    if codec == "br":
        dec = brotli.Decompressor()
        out = bytearray(dec.process(data, output_buffer_limit=cap + 1))
        while len(out) <= cap and not dec.can_accept_more_data() and not dec.is_finished():
            out += dec.process(b"", output_buffer_limit=cap + 1 - len(out))
        if len(out) > cap:
            raise OverflowError
        if not dec.is_finished():
            raise ValueError("truncated stream")
        return bytes(out)
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True)
    out_z = reader.read(cap + 1)
    if len(out_z) > cap:
        raise OverflowError
    return out_z


def decode_body(body: bytes, headers: list[tuple[str, str]], cap: int) -> DecodedBody:
    """Remove a single known Content-Encoding; anything else is a problem, never a pass."""
    codecs = content_encodings(headers)
    if not codecs:
        return DecodedBody(body, None, None)
    if len(codecs) > 1:
        return DecodedBody(body, None, f"stacked content-encoding {', '.join(codecs)!s}")
    codec = codecs[0]
    if codec not in _KNOWN:
        return DecodedBody(body, None, f"unsupported content-encoding {codec!r}")
    try:
        return DecodedBody(_decode_one(codec, body, cap), codec, None)
    except OverflowError:
        return DecodedBody(body, None, f"{codec} body decodes to more than {cap} bytes")
    except (zlib.error, brotli.error, zstandard.ZstdError, ValueError) as exc:
        return DecodedBody(body, None, f"undecodable {codec} body: {exc}")


_BOUNDARY: Final = re.compile(r'boundary=(?:"([^"]{1,200})"|([^";,\s]{1,200}))', re.IGNORECASE)


def _content_type(headers: list[tuple[str, str]]) -> str:
    for name, value in headers:
        if name.lower() == "content-type":
            return value
    return ""


def multipart_parts(body: bytes, headers: list[tuple[str, str]]) -> list[bytes] | str | None:
    """Decoded contents of parts with a Content-Transfer-Encoding; a problem string; or None.

    Part headers, filenames and unencoded contents are already in the raw body the engine
    scans, so only transfer-decoded contents (base64, quoted-printable) are returned here.
    ``None`` when the body is not multipart.
    """
    ctype = _content_type(headers)
    if not ctype.lower().lstrip().startswith("multipart/"):
        return None
    m = _BOUNDARY.search(ctype)
    if m is None:
        return "multipart body without a boundary"
    delimiter = b"--" + (m.group(1) or m.group(2)).encode("latin-1", "replace")
    decoded: list[bytes] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, content = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = chunk.lstrip(b"\n").partition(b"\n\n")
        cte = re.search(rb"(?im)^content-transfer-encoding:\s*([a-z0-9-]+)", head)
        if cte is None:
            continue
        kind = cte.group(1).lower()
        try:
            if kind == b"base64":
                decoded.append(base64.b64decode(re.sub(rb"\s+", b"", content), validate=False))
            elif kind == b"quoted-printable":
                decoded.append(quopri.decodestring(content))
        except (binascii.Error, ValueError):
            return f"multipart part with undecodable {kind.decode()} content"
    return decoded
