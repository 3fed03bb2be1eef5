"""Known secrets and every rendering of them the engine looks for.

Pass 1 renders each secret exactly: raw, base64 (standard and url-safe alphabets, at each of
the three byte offsets it can sit at inside a larger encoded blob, so padded, unpadded and
embedded forms are all substrings), hex in either case and full JSON ``\\uXXXX`` escaping.
Percent-encoding and partial JSON escaping are not rendered (any mix of encoded and literal
bytes is possible); the engine decodes those views instead and looks for the raw rendering.

Pass 2 is the alphanumeric projection; pass 3 the windows of that projection at least
``PARTIAL_MATCH_MIN_LEN`` long whose entropy clears ``PARTIAL_MATCH_MIN_ENTROPY``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Final

from bb_dlp.entropy import shannon_entropy

__all__ = [
    "MIN_SECRET_LEN",
    "PARTIAL_MATCH_MIN_ENTROPY",
    "PARTIAL_MATCH_MIN_LEN",
    "PROJECTION_MIN_LEN",
    "KnownSecret",
    "base64_renderings",
    "project",
    "tolerant_pattern",
]

MIN_SECRET_LEN: Final = 8
"""Shorter values are not matched at all (reported as a warning): they occur by chance."""

PROJECTION_MIN_LEN: Final = 12
"""Pass 2 needs this many alphanumerics, with the window entropy floor, to be safe."""

PARTIAL_MATCH_MIN_LEN: Final = 16
"""Pass 3 window length.

16 alphanumerics of a random secret carry ~95 bits, so a chance hit in traffic is impossible;
it is also the floor Pipelock uses for env secrets. Shorter windows start matching real words
and identifiers when a secret is a passphrase. Combined with the entropy floor below, windows
such as ``sk-ant-api03-`` prefixes (after projection: 10 chars) or runs of one character
never become patterns.
"""

PARTIAL_MATCH_MIN_ENTROPY: Final = 3.0
"""Bits/char a window (and a pass-2 projection) needs; 3.0 is the Pipelock/trufflehog floor."""

_NON_ALNUM: Final = bytes(b for b in range(256) if not chr(b).isascii() or not chr(b).isalnum())


def project(data: bytes) -> bytes:
    """The alphanumeric projection: every byte that is not ASCII ``[A-Za-z0-9]`` removed."""
    return data.translate(None, _NON_ALNUM)


def base64_renderings(secret: bytes) -> set[bytes]:
    """Base64 text of ``secret`` at byte offsets 0, 1, 2 in both alphabets, boundary chars trimmed.

    A base64 character encodes 6 bits; only characters whose 6 bits all come from the secret
    are kept, so each rendering is a substring of the encoding of any blob containing the
    secret at that offset (mod 3), padded or not.
    """
    out: set[bytes] = set()
    n = len(secret)
    for k in range(3):
        encoded = base64.b64encode(b"\0" * k + secret).rstrip(b"=")
        first = -(-8 * k // 6)  # ceil(8k / 6)
        last = (8 * (k + n)) // 6  # chars [first, last) are fully inside the secret
        chunk = encoded[first:last]
        if chunk:
            out.add(chunk)
            out.add(chunk.translate(bytes.maketrans(b"+/", b"-_")))
    return out


def _any_case(hexdigits: str) -> bytes:
    return b"".join(f"[{c}{c.upper()}]".encode() for c in hexdigits)


def tolerant_pattern(value: bytes) -> re.Pattern[bytes]:
    """A linear-time pattern finding ``value`` as sent, from what a decoded view showed.

    Each byte may appear literally, percent-encoded once or twice (any case) or
    ``\\u``-escaped, and up to 8 other non-alphanumeric bytes (separators, UTF-8 of
    zero-width characters) may sit between bytes. Used only after a hit, to locate the raw
    text for redaction. A gap never includes the byte that follows it, so no position can be
    matched two ways and there is no backtracking blow-up.
    """
    parts: list[bytes] = []
    for i, b in enumerate(value):
        hexd = f"{b:02x}"
        alts = [re.escape(bytes([b])), b"%(?:25)?" + _any_case(hexd), rb"\\u00" + _any_case(hexd)]
        parts.append(b"(?:" + b"|".join(alts) + b")")
        if i + 1 < len(value):
            nxt = value[i + 1]
            excluded = b"A-Za-z0-9%\\\\" + (
                re.escape(bytes([nxt])) if not chr(nxt).isalnum() else b""
            )
            parts.append(b"[^" + excluded + b"]{0,8}")
    return re.compile(b"".join(parts))


@dataclass(frozen=True, slots=True)
class KnownSecret:
    """One secret value from the environment and what the engine may match it by."""

    name: str
    value: str
    is_canary: bool

    @property
    def raw(self) -> bytes:
        """The value as UTF-8 bytes (how it leaves the bottle in a request)."""
        return self.value.encode("utf-8", "surrogateescape")

    def exact_renderings(self) -> dict[bytes, str]:
        """Every pass-1 rendering mapped to its kind; each has at least ``MIN_SECRET_LEN`` chars."""
        raw = self.raw
        out: dict[bytes, str] = {}
        out |= {r: "base64" for r in base64_renderings(raw) if len(r) >= MIN_SECRET_LEN}
        out |= {raw.hex().encode(): "hex", raw.hex().upper().encode(): "hex"}
        out["".join(f"\\u{ord(c):04x}" for c in self.value).encode()] = "json-escaped"
        out["".join(f"\\u{ord(c):04X}" for c in self.value).encode()] = "json-escaped"
        out[raw] = "exact"
        return out

    @property
    def projection(self) -> bytes:
        """The alphanumeric projection of the value."""
        return project(self.raw)

    @property
    def projection_usable(self) -> bool:
        """True when pass 2 can match the projection without firing on ordinary text."""
        p = self.projection
        return len(p) >= PROJECTION_MIN_LEN and shannon_entropy(p) >= PARTIAL_MATCH_MIN_ENTROPY

    def windows(self) -> set[bytes]:
        """Pass-3 windows: ``PARTIAL_MATCH_MIN_LEN`` projection chunks above the entropy floor."""
        p = self.projection
        w = PARTIAL_MATCH_MIN_LEN
        if len(p) <= w:
            return set()
        return {
            p[i : i + w]
            for i in range(len(p) - w + 1)
            if shannon_entropy(p[i : i + w]) >= PARTIAL_MATCH_MIN_ENTROPY
        }
