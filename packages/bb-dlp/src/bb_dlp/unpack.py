"""Decoded views of stored content (files, messages, names): what an HTTP header never says.

A request tells the engine how its body is encoded (Content-Encoding, multipart headers);
a file in a git push does not. Whatever wraps a secret in a file has to be undone by
looking at the bytes themselves, so `content_views` returns every view a secret could
hide behind, each named for the finding's preview:

* ``nul-stripped``: NUL bytes removed, which turns UTF-16 (either byte order) and UTF-32
  text of ASCII secrets back into ASCII, and undoes a NUL sprinkled between characters;
* ``utf-16``: the content decoded as UTF-16 (when it has a byte-order mark or is mostly
  NUL-interleaved) and re-encoded as UTF-8, for secrets with non-ASCII characters;
* ``gzip``, ``zlib``, ``bzip2``, ``xz``, ``zstd``, ``zip``: decompressed by magic number,
  whole stream (or each zip member), capped at ``max_bytes`` (a bigger output is a problem,
  reported, never a pass);
* ``base64``: every run of base64 (either alphabet, wrapped lines and padding allowed) of
  at least ``MIN_BASE64_RUN`` characters, decoded; the exact pass already matches a secret's
  base64 renderings, this view catches wrapped runs and what is base64'd inside them
  (a base64'd gzip stream, say);
* ``reversed``: the bytes in reverse order (a reversed secret, a reversed base64 run).

Views nest up to ``MAX_DEPTH`` layers (base64 of gzip of UTF-16, gzip of a reversed...),
bounded in total size by ``max_bytes``. Pure and linear in the input per view.
"""

from __future__ import annotations

import binascii
import bz2
import io
import lzma
import re
import zipfile
import zlib
from base64 import b64decode
from dataclasses import dataclass, field
from typing import Final

import zstandard

__all__ = [
    "MAX_DEPTH",
    "MIN_BASE64_RUN",
    "ContentViews",
    "content_views",
    "sniff_decompress",
]

MAX_DEPTH: Final = 3
"""Layers of decoding applied on top of each other (base64 -> gzip -> utf-16 is three)."""

MIN_BASE64_RUN: Final = 16
"""Shorter base64 runs are words and identifiers; 16 chars decode to 12 bytes."""

_BASE64_RUN: Final = re.compile(rb"(?:[A-Za-z0-9+/_-]{4}[ \t]*\r?\n?[ \t]*){4,}[A-Za-z0-9+/_=-]*")
_WHITESPACE: Final = re.compile(rb"\s+")
_ZLIB_HEADERS: Final = frozenset({b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda"})
_MAX_ZIP_MEMBERS: Final = 10_000


@dataclass
class ContentViews:
    """The views of one piece of content, and what could not be decoded safely."""

    views: list[tuple[str, bytes]] = field(default_factory=list)
    """(name, bytes) pairs; the name says how the view was made (``gzip+base64``...)."""
    problems: list[str] = field(default_factory=list)
    """Decodings refused (output over the cap, too many members): reported as findings."""


def _inflate(data: bytes, wbits: int, cap: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, cap + 1)
    if len(out) > cap:
        raise OverflowError
    return out


def _read_capped(reader: io.BufferedIOBase | zstandard.ZstdDecompressionReader, cap: int) -> bytes:
    out = reader.read(cap + 1)
    if len(out) > cap:
        raise OverflowError
    return bytes(out)


def _decompress(data: bytes, cap: int) -> tuple[str, bytes] | None:
    """(codec, output) when ``data`` starts with a known compression magic number."""
    head = data[:6]
    if head.startswith(b"\x1f\x8b"):
        return "gzip", _inflate(data, 47, cap)
    if head[:2] in _ZLIB_HEADERS:
        return "zlib", _inflate(data, 15, cap)
    if head.startswith(b"BZh"):
        return "bzip2", _read_capped(bz2.BZ2File(io.BytesIO(data)), cap)
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz", _read_capped(lzma.LZMAFile(io.BytesIO(data)), cap)
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
        return "zstd", _read_capped(reader, cap)
    return None


def sniff_decompress(data: bytes, cap: int) -> tuple[str, bytes] | str | None:
    """``data`` decompressed by its magic number: (codec, output), a problem, or None.

    For request bodies that say nothing (no Content-Encoding, or ``Transfer-Encoding: gzip,
    chunked``, which mitmproxy de-chunks but does not inflate). Output over ``cap`` is a
    problem; no magic number, or a stream that does not decode, is None (raw bytes stay).
    """
    try:
        return _decompress(data, cap)
    except OverflowError:
        return f"compressed body expands past {cap} bytes"
    except (zlib.error, OSError, EOFError, lzma.LZMAError, zstandard.ZstdError, ValueError):
        return None


def _unzip(data: bytes, cap: int) -> list[tuple[str, bytes]]:
    """Each member's name and content (names are content too)."""
    out: list[tuple[str, bytes]] = []
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        if len(infos) > _MAX_ZIP_MEMBERS:
            raise OverflowError
        out.append(("zip-names", "\n".join(i.filename for i in infos).encode()))
        for info in infos:
            with archive.open(info) as member:
                content = member.read(cap + 1 - total)
            total += len(content)
            if total > cap:
                raise OverflowError
            out.append(("zip", content))
    return out


def _utf16(data: bytes) -> bytes | None:
    """UTF-16 text (BOM, or NULs in most odd or even positions) as UTF-8; else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16"
    else:
        sample = data[:4096]
        half = len(sample) // 2
        if half < 4:
            return None
        if sample[1::2].count(0) >= half * 0.6:
            codec = "utf-16-le"
        elif sample[0::2].count(0) >= half * 0.6:
            codec = "utf-16-be"
        else:
            return None
    text = data[: len(data) - len(data) % 2].decode(codec, "replace")
    return text.encode("utf-8", "replace")


def _base64_runs(data: bytes) -> bytes | None:
    """Every base64 run decoded, joined by newlines; None when there is none."""
    decoded: list[bytes] = []
    for m in _BASE64_RUN.finditer(data):
        run = _WHITESPACE.sub(b"", m.group())
        if len(run) < MIN_BASE64_RUN:
            continue
        run = run.rstrip(b"=")
        alphabet = b"-_" if b"-" in run or b"_" in run else None
        run = run[: len(run) - len(run) % 4 if len(run) % 4 == 1 else len(run)]
        padded = run + b"=" * (-len(run) % 4)
        try:
            decoded.append(b64decode(padded, altchars=alphabet, validate=False))
        except (binascii.Error, ValueError):
            continue
    return b"\n".join(decoded) if decoded else None


def _one_layer(data: bytes, cap: int, result: ContentViews) -> list[tuple[str, bytes]]:
    """The views one decoding step makes of ``data`` (problems appended to ``result``)."""
    views: list[tuple[str, bytes]] = []
    if data.startswith(b"PK\x03\x04"):
        try:
            views.extend(_unzip(data, cap))
        except OverflowError:
            result.problems.append(f"zip content expands past {cap} bytes or members")
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError):
            pass  # not a readable archive: the raw bytes are still scanned
    try:
        unpacked = _decompress(data, cap)
    except OverflowError:
        result.problems.append(f"compressed content expands past {cap} bytes")
        unpacked = None
    except (zlib.error, OSError, EOFError, lzma.LZMAError, zstandard.ZstdError, ValueError):
        unpacked = None  # a magic number by chance, or a truncated stream: raw bytes stay
    if unpacked is not None:
        views.append(unpacked)
    if b"\0" in data:
        views.append(("nul-stripped", data.replace(b"\0", b"")))
        wide = _utf16(data)
        if wide is not None:
            views.append(("utf-16", wide))
    runs = _base64_runs(data)
    if runs is not None:
        views.append(("base64", runs))
    return views


def content_views(data: bytes, max_bytes: int) -> ContentViews:
    """Every decoded view of ``data`` (not ``data`` itself), nested up to ``MAX_DEPTH``.

    ``reversed`` is made of the content and of each decoded view, never reversed twice.
    The decoded views' total size is capped at ``max_bytes``; past it the rest is a problem.
    """
    result = ContentViews()
    budget = max_bytes
    frontier: list[tuple[str, bytes]] = [("", data)]
    for _depth in range(MAX_DEPTH):
        following: list[tuple[str, bytes]] = []
        for name, blob in frontier:
            for view, out in _one_layer(blob, max_bytes, result):
                if not out or out == blob:
                    continue
                budget -= len(out)
                if budget < 0:
                    result.problems.append(f"decoded views exceed {max_bytes} bytes")
                    return result
                label = f"{view}+{name}" if name else view
                result.views.append((label, out))
                following.append((label, out))
        frontier = following
        if not frontier:
            break
    decoded = list(result.views)
    result.views.append(("reversed", data[::-1]))
    for name, blob in decoded:
        if name.startswith("zip-names"):
            continue
        budget -= len(blob)
        if budget < 0:
            result.problems.append(f"decoded views exceed {max_bytes} bytes")
            break
        result.views.append((f"reversed+{name}", blob[::-1]))
    return result
