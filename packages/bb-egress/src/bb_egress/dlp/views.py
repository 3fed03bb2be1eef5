"""Decoded views of scanned bytes: percent, JSON string escapes, Unicode folding.

Each function returns ``None`` when the view would equal its input, so the engine only pays
for views that can reveal something. All are linear in the input.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import unquote_to_bytes

__all__ = [
    "INVISIBLES",
    "MAX_PERCENT_LAYERS",
    "fold_unicode",
    "json_unescape",
    "percent_decode",
]

MAX_PERCENT_LAYERS: Final = 4
"""Percent-decoding is repeated (``%2541`` -> ``%41`` -> ``A``) up to this many layers."""

_PCT: Final = re.compile(rb"%[0-9A-Fa-f]{2}")
_JSON_ESC: Final = re.compile(rb'\\(?:u([0-9A-Fa-f]{4})|(["\\/bfnrt]))')
_SIMPLE: Final = {
    b'"': '"', b"\\": "\\", b"/": "/", b"b": "\b", b"f": "\f", b"n": "\n", b"r": "\r", b"t": "\t"
}  # fmt: skip

INVISIBLES: Final = frozenset(
    [
        *(0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0),
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2070),
        *range(0xFE00, 0xFE10),
        *range(0xFFF9, 0xFFFC),
        *range(0xE0000, 0xE0080),
    ]
)
"""Zero-width, bidi, variation selectors, interlinear annotation and the Tag block."""

_STRIP: Final = dict.fromkeys(INVISIBLES)

_CONFUSABLE_PAIRS: Final = (
    # (code point, ASCII): Cyrillic and Greek letters that render as ASCII letters, dashes.
    (0x0410, "A"), (0x0412, "B"), (0x0415, "E"), (0x041A, "K"), (0x041C, "M"), (0x041D, "H"),
    (0x041E, "O"), (0x0420, "P"), (0x0421, "C"), (0x0422, "T"), (0x0425, "X"), (0x0430, "a"),
    (0x0435, "e"), (0x043E, "o"), (0x0440, "p"), (0x0441, "c"), (0x0443, "y"), (0x0445, "x"),
    (0x0456, "i"), (0x0458, "j"), (0x0455, "s"), (0x0406, "I"), (0x0408, "J"), (0x0405, "S"),
    (0x0391, "A"), (0x0392, "B"), (0x0395, "E"), (0x0396, "Z"), (0x0397, "H"), (0x0399, "I"),
    (0x039A, "K"), (0x039C, "M"), (0x039D, "N"), (0x039F, "O"), (0x03A1, "P"), (0x03A4, "T"),
    (0x03A5, "Y"), (0x03A7, "X"), (0x03BF, "o"), (0x03BD, "v"), (0x2010, "-"), (0x2011, "-"),
    (0x2012, "-"), (0x2013, "-"), (0x2014, "-"), (0x2212, "-"),
)  # fmt: skip
_CONFUSABLES: Final = dict(_CONFUSABLE_PAIRS)


def percent_decode(data: bytes) -> bytes | None:
    """``data`` with percent-escapes decoded (any case, any mix), repeated for nested layers."""
    if not _PCT.search(data):
        return None
    out = data
    for _ in range(MAX_PERCENT_LAYERS):
        out = unquote_to_bytes(out)
        if not _PCT.search(out):
            break
    return out


def json_unescape(data: bytes) -> bytes | None:
    """``data`` with JSON string escapes decoded (``\\uXXXX`` incl. surrogate pairs, ``\\n``...).

    Works on the raw bytes rather than parsing JSON, so a secret split by escapes in a
    malformed or truncated body is still found.
    """
    if b"\\" not in data:
        return None

    def repl(m: re.Match[bytes]) -> bytes:
        if m.group(1) is not None:
            return chr(int(m.group(1), 16)).encode("utf-8", "surrogatepass")
        return _SIMPLE[m.group(2)].encode()

    out = _JSON_ESC.sub(repl, data)
    if out == data:
        return None
    # Re-join surrogate pairs that were encoded separately.
    try:
        return (
            out.decode("utf-8", "surrogatepass")
            .encode("utf-16", "surrogatepass")
            .decode("utf-16")
            .encode("utf-8", "surrogateescape")
        )
    except UnicodeError:
        return out


def fold_unicode(data: bytes) -> bytes | None:
    """Invisible characters stripped, NFKC applied, confusables folded to ASCII; or ``None``.

    Order matters (fullsend#444): normalise and strip before any matching, in one view.
    """
    if data.isascii():
        return None
    text = data.decode("utf-8", "replace")
    folded = unicodedata.normalize("NFKC", text.translate(_STRIP)).translate(_CONFUSABLES)
    # Combining marks left after NFKC (e.g. a + U+0301 with no precomposed form) are dropped.
    if any(unicodedata.combining(c) for c in folded if not c.isascii()):
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    out = folded.encode("utf-8", "replace")
    return None if out == data else out
