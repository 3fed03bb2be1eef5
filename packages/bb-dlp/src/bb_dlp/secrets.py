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
import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from bb_dlp.entropy import shannon_entropy

__all__ = [
    "HEX_WINDOW_BYTES",
    "MIN_SECRET_LEN",
    "PARTIAL_MATCH_MIN_ENTROPY",
    "PARTIAL_MATCH_MIN_LEN",
    "PIECE_MIN_LEN",
    "PROJECTION_MIN_LEN",
    "KnownSecret",
    "base64_renderings",
    "block_renderings",
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

PIECE_MIN_LEN: Final = 6
"""Length of the projection pieces (n-grams) that reassemble a secret split below the window.

A secret cut into parts shorter than ``PARTIAL_MATCH_MIN_LEN`` (half in a header, half in the
body; 15-character pieces over URL, headers and body, or over consecutive websocket
messages) is found when pieces of at least this many alphanumerics, found anywhere in the
request, cover *every* position of the secret's projection. One piece alone never reports:
a chance match of 6 characters is common, a full cover of a 12+ character high-entropy
projection by chance is not. Parts shorter than this are not caught (the stated bound).
"""

HEX_WINDOW_BYTES: Final = 12
"""Secret bytes per hex window (24 hex digits): any 24 bytes of a secret in an ``od`` dump
keep 12 of them on one 16-byte line, and 12 random alphanumerics carry ~71 bits."""

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


def block_renderings(
    secret: bytes, encode: Callable[[bytes], bytes], block: int, chars: int
) -> set[bytes]:
    """Encodings of ``secret`` in a block code (``block`` bytes -> ``chars`` characters).

    A character of base32 or base85 depends on its whole block, so only the blocks made
    entirely of secret bytes are kept, at each of the ``block`` alignments the secret can take
    inside a larger blob: each rendering is then a substring of that blob's encoding.
    """
    out: set[bytes] = set()
    for shift in range(block):
        body = secret[shift:]
        body = body[: len(body) - len(body) % block]
        if body:
            encoded = encode(body)
            out.add(encoded[: len(body) // block * chars])
    return out


def _rot13(data: bytes) -> bytes:
    return codecs.encode(data.decode("latin-1"), "rot13").encode("latin-1")


def _hex_both(data: bytes) -> set[bytes]:
    return {data.hex().encode(), data.hex().upper().encode()}


def _swapped_pairs(data: bytes) -> set[bytes]:
    """``data`` with each byte pair swapped, at both alignments (``od -x`` on little-endian)."""
    out: set[bytes] = set()
    for shift in (0, 1):
        body = data[shift:]
        body = body[: len(body) - len(body) % 2]
        out.add(bytes(b for i in range(0, len(body), 2) for b in (body[i + 1], body[i])))
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
        out[raw[::-1]] = "reversed"
        out.setdefault(_rot13(raw), "rot13")
        for rendering in block_renderings(raw, base64.b32encode, 5, 8):
            if len(rendering) >= MIN_SECRET_LEN:
                out.setdefault(rendering, "base32")
                out.setdefault(rendering.lower(), "base32")
        for encode, name in ((base64.a85encode, "base85"), (base64.b85encode, "base85")):
            for rendering in block_renderings(raw, encode, 4, 5):
                if len(rendering) >= MIN_SECRET_LEN:
                    out.setdefault(rendering, name)
                    # Ascii85 has ``"`` and ``\``: also as written inside a JSON string.
                    escaped = rendering.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
                    out.setdefault(escaped, f"{name}, json-escaped")
        for inner in base64_renderings(raw):
            for rendering in base64_renderings(inner):
                if len(rendering) >= MIN_SECRET_LEN:
                    out.setdefault(rendering, "base64 of base64")
            for rendering in _hex_both(inner):
                out.setdefault(rendering, "hex of base64")
        out[raw] = "exact"
        return out

    def loose_renderings(self) -> dict[bytes, str]:
        """Projections matched whatever separates their characters (pass 2, case-insensitive).

        The secret itself, reversed and rot13'd; its base64 (a wrapped file: 76 or 60
        columns); its hex, plain and byte-pair swapped (``xxd -p``, ``od -x``, colons,
        spaces). Only those that clear the pass-2 length and entropy floor.
        """
        raw = self.raw
        candidates: dict[bytes, str] = {}
        if self.projection_usable:
            candidates[raw] = "separators"
            candidates[raw[::-1]] = "reversed, separators"
            candidates[_rot13(raw)] = "rot13, separators"
        for rendering in base64_renderings(raw):
            candidates.setdefault(rendering, "base64, wrapped")
        candidates.setdefault(raw.hex().encode(), "hex, separators")
        for swapped in _swapped_pairs(raw):
            candidates.setdefault(swapped.hex().encode(), "hex, swapped pairs")
        out: dict[bytes, str] = {}
        for rendering, kind in candidates.items():
            p = project(rendering)
            if len(p) >= PROJECTION_MIN_LEN and shannon_entropy(p) >= PARTIAL_MATCH_MIN_ENTROPY:
                out.setdefault(p.lower(), kind)
        return out

    def hex_windows(self) -> set[bytes]:
        """Windows of the hex renderings, plain and byte-pair swapped (``od`` output, whose
        addresses cut the hex every 16 bytes): ``HEX_WINDOW_BYTES`` bytes of the secret each.

        The entropy gate is on the secret bytes a window stands for, not on its hex digits
        (hex of ASCII text has a skewed high nibble, so the digits look regular).
        """
        w = HEX_WINDOW_BYTES
        out: set[bytes] = set()
        for data in (self.raw, *_swapped_pairs(self.raw)):
            out.update(
                data[i : i + w].hex().encode()
                for i in range(len(data) - w + 1)
                if shannon_entropy(data[i : i + w]) >= PARTIAL_MATCH_MIN_ENTROPY
            )
        return out

    def pieces(self) -> dict[bytes, list[int]]:
        """Every ``PIECE_MIN_LEN`` piece of the projection (lower-cased) -> its offsets in it.

        Empty unless the projection is usable for pass 2 (long and random enough that a full
        cover by chance pieces cannot happen).
        """
        if not self.projection_usable:
            return {}
        p = self.projection.lower()
        k = PIECE_MIN_LEN
        out: dict[bytes, list[int]] = {}
        for i in range(len(p) - k + 1):
            out.setdefault(p[i : i + k], []).append(i)
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
