"""`scan_content`: stored content (pushed files, messages, names) and its decoded views."""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import lzma
import zipfile
import zlib
from collections.abc import Callable

import pytest
import zstandard

from bb_dlp import DlpConfig, scan_content
from bb_dlp.unpack import content_views

SECRET = "Qm7vRt4wYb8nZx9kQ2pLjH3sTq6Vd"
CANARY = "cAn4ry-Zx81_Pq0LmW3vT7yRk2Hs5Jd9Nb6"
CONFIG = DlpConfig.from_secrets(
    {"EGRESS_TOKEN_API": SECRET, "EGRESS_TOKEN_CANARY": CANARY},
    ["known_secrets", "canary", "token_patterns", "unicode_evasion"],
)


def _zip(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes/readme.txt", data)
    return out.getvalue()


def _wrapped_base64(data: bytes) -> bytes:
    encoded = base64.b64encode(b"some preamble bytes " + data + b" and more after it")
    return b"\n".join(encoded[i : i + 20] for i in range(0, len(encoded), 20))


def _split_lines(data: bytes) -> bytes:
    return b'"\n+ "'.join(data[i : i + 5] for i in range(0, len(data), 5))


CHANNELS: dict[str, Callable[[bytes], bytes]] = {
    "plain": lambda s: b"token = " + s + b"\n",
    "binary with NUL": lambda s: b"\x00\x01\x02ELF\x00" + s + b"\x00\xff\xfe",
    "utf-16-le with BOM": lambda s: ("key: " + s.decode() + "\n").encode("utf-16"),
    "utf-16-le without BOM": lambda s: ("key: " + s.decode()).encode("utf-16-le"),
    "utf-16-be": lambda s: ("key: " + s.decode()).encode("utf-16-be"),
    "utf-32": lambda s: ("key: " + s.decode()).encode("utf-32"),
    "base64": lambda s: base64.b64encode(s),
    "base64 wrapped": _wrapped_base64,
    "gzip": lambda s: gzip.compress(b"log: " + s),
    "zlib": lambda s: zlib.compress(b"log: " + s),
    "bzip2": lambda s: bz2.compress(b"log: " + s),
    "xz": lambda s: lzma.compress(b"log: " + s),
    "zstd": lambda s: zstandard.ZstdCompressor().compress(b"log: " + s),
    "zip": _zip,
    "base64 of gzip": lambda s: base64.b64encode(gzip.compress(b"k=" + s)),
    "reversed": lambda s: b"x = '" + s[::-1] + b"'",
    "reversed base64": lambda s: base64.b64encode(s)[::-1],
    "base64 of reversed": lambda s: base64.b64encode(s[::-1]),
    "line-split": _split_lines,
    "hex": lambda s: s.hex().encode(),
    "percent": lambda s: b"".join(b"%%%02x" % b for b in s),
}


@pytest.mark.parametrize("channel", list(CHANNELS))
@pytest.mark.parametrize(("value", "detector"), [(SECRET, "known_secrets"), (CANARY, "canary")])
def test_a_known_secret_is_found_through_every_wrapping(
    channel: str, value: str, detector: str
) -> None:
    """Known secret and canary: found raw, in binary, UTF-16/32, compressed, encoded, reversed."""
    result = scan_content(CHANNELS[channel](value.encode()), CONFIG, surface="file")
    assert detector in {f.detector for f in result.findings}, result.findings
    assert all(value not in f.preview for f in result.findings)


def test_a_provider_token_in_a_utf16_file_is_found() -> None:
    """Token patterns see UTF-16 text through the NUL-stripped view."""
    token = "ghp_" + "R8sKq2Lm9Vx4Tz7Wn3Yb6Pc1Hd5Jf0Gk8MaQ"
    result = scan_content(("t = " + token).encode("utf-16"), CONFIG)
    assert "token_patterns" in {f.detector for f in result.findings}


@pytest.mark.parametrize(
    "data",
    [
        b"def main():\n    return compute_the_answer(42)\n",
        base64.b64encode(b"an ordinary sentence that is not secret at all"),
        gzip.compress(b"nothing to see in this log line"),
        "plain text in UTF-16".encode("utf-16"),
        bytes(range(256)) * 64,
    ],
)
def test_ordinary_content_has_no_findings(data: bytes) -> None:
    """Code, encoded prose, compressed logs, UTF-16 text and binary noise are clean."""
    assert scan_content(data, CONFIG).clean


def test_a_finding_in_the_raw_bytes_gives_its_offset() -> None:
    """A located finding points at the secret's bytes in the content."""
    data = b"line one\nkey = " + SECRET.encode() + b"\n"
    finding = next(f for f in scan_content(data, CONFIG, surface="x").findings)
    assert finding.redactable
    assert data[finding.span[0] : finding.span[1]] == SECRET.encode()
    assert finding.surface == "x"


def test_a_decompression_bomb_is_a_finding_not_a_pass() -> None:
    """Compressed content expanding past the cap is reported (the gate holds it)."""
    small = DlpConfig.from_secrets({"EGRESS_TOKEN_API": SECRET}, max_decoded_bytes=1000)
    result = scan_content(gzip.compress(b"\0" * 100_000), small)
    assert [f.detector for f in result.findings] == ["encoding"]


def test_views_nest_and_never_reverse_twice() -> None:
    """base64 of gzip is decoded in two layers; reversed views are made once."""
    views = dict(content_views(base64.b64encode(gzip.compress(b"hello world")), 1 << 20).views)
    assert views["gzip+base64"] == b"hello world"
    assert not any(name.count("reversed") > 1 for name in views)
