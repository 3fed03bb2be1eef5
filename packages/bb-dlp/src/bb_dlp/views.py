"""Decoded views of scanned bytes: percent, JSON string escapes, quoted-printable, HTML
entities, Unicode folding.

Each function returns ``None`` when the view would equal its input, so the engine only pays
for views that can reveal something. All are linear in the input.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import html
import re
import unicodedata
from collections.abc import Iterable
from typing import Final

from bb_dlp.multimatch import LiteralSet, RuleSet

__all__ = [
    "FOLD_CONTEXT",
    "INVISIBLES",
    "MARKUP_TRIGGERS",
    "MAX_PERCENT_LAYERS",
    "fold_unicode",
    "html_unescape",
    "json_trigger",
    "json_unescape",
    "markup_views",
    "percent_decode",
    "qp_decode",
    "suspicious_literals",
    "suspicious_set",
]

FOLD_CONTEXT: Final = 1024
"""Bytes kept either side of a suspicious character or escape in a decoded view (longer than
any secret or token the engine looks for, so a secret around the character is whole)."""

DENSE_HITS: Final = 4096
"""Past this many suspicious characters the whole blob is folded at once (C-speed passes)
instead of region by region."""

MAX_PERCENT_LAYERS: Final = 4
"""Percent-decoding is repeated (``%2541`` -> ``%41`` -> ``A``) up to this many layers."""

_PCT: Final = re.compile(rb"%[0-9A-Fa-f]{2}")
_JSON_ESC: Final = re.compile(rb'\\(?:u([0-9A-Fa-f]{4})|(["\\/bfnrt]))')
_SIMPLE: Final = {
    b'"': '"',
    b"\\": "\\",
    b"/": "/",
    b"b": "\b",
    b"f": "\f",
    b"n": "\n",
    b"r": "\r",
    b"t": "\t",
}

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

# fmt: off
# A table of (code point, ASCII) pairs, six a line: one pair a line would be 40 lines.
_CONFUSABLE_PAIRS: Final = (
    # (code point, ASCII): Cyrillic and Greek letters that render as ASCII letters.
    (0x0410, "A"), (0x0412, "B"), (0x0415, "E"), (0x041A, "K"), (0x041C, "M"), (0x041D, "H"),
    (0x041E, "O"), (0x0420, "P"), (0x0421, "C"), (0x0422, "T"), (0x0425, "X"), (0x0430, "a"),
    (0x0435, "e"), (0x043E, "o"), (0x0440, "p"), (0x0441, "c"), (0x0443, "y"), (0x0445, "x"),
    (0x0456, "i"), (0x0458, "j"), (0x0455, "s"), (0x0406, "I"), (0x0408, "J"), (0x0405, "S"),
    (0x0391, "A"), (0x0392, "B"), (0x0395, "E"), (0x0396, "Z"), (0x0397, "H"), (0x0399, "I"),
    (0x039A, "K"), (0x039C, "M"), (0x039D, "N"), (0x039F, "O"), (0x03A1, "P"), (0x03A4, "T"),
    (0x03A5, "Y"), (0x03A7, "X"), (0x03BF, "o"), (0x03BD, "v"),
)
# fmt: on
_CONFUSABLES: Final = dict(_CONFUSABLE_PAIRS)


_BAD_PCT: Final = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _unquote(data: bytes) -> bytes:
    """Percent-decoding (same result as ``unquote_to_bytes``) at C speed.

    A ``%`` that starts no escape is first written as ``%25`` (itself), then every escape
    becomes ``\\xXX`` for ``escape_decode``; backslashes are doubled so nothing else decodes.
    """
    data = _BAD_PCT.sub(b"%25", data)
    escaped = data.replace(b"\\", b"\\\\").replace(b"%", b"\\x")
    decoded: bytes = codecs.escape_decode(escaped)[0]
    return decoded


def _unquote_layers(region: bytes) -> bytes:
    """Every layer of decoding, newline-joined: a secret whose own text looks like ``%41``
    is whole after the first layer and destroyed by the second, so each layer is kept."""
    layers: list[bytes] = []
    out = region
    for _ in range(MAX_PERCENT_LAYERS):
        out = _unquote(out)
        layers.append(out)
        if not _PCT.search(out):
            break
    return b"\n".join(layers)


def percent_decode(data: bytes) -> bytes | None:
    """Regions around percent-escapes, decoded (any case, any mix, nested layers); or None.

    Only regions around escapes are decoded and joined by newlines, so a large body with a
    stray ``%20`` costs a few kilobytes of work, not a copy of the body.
    """
    regions = _match_regions(_PCT, data)
    if not regions:
        return None
    return b"\n".join(_unquote_layers(data[lo:hi]) for lo, hi in regions)


_QP: Final = re.compile(rb"=(?:[0-9A-F]{2}|\r?\n)")
_ENTITY: Final = re.compile(rb"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31};)")


MARKUP_TRIGGERS: Final = (_QP.pattern, _ENTITY.pattern)
"""Quoted-printable and HTML-reference triggers (a static set, cached as ``markup``)."""


@functools.cache
def _markup_triggers() -> RuleSet:
    """Quoted-printable and HTML-reference triggers, one Hyperscan pass for both."""
    return RuleSet(list(MARKUP_TRIGGERS), cache="markup")


def qp_decode(data: bytes) -> bytes | None:
    """Regions around quoted-printable escapes (``=3D``, soft line breaks), decoded; or None.

    Applied to the raw bytes, so a quoted-printable part is found however deeply it is
    nested in multipart bodies (the multipart parser only decodes the top level).
    """
    regions = _match_regions(_QP, data)
    if not regions:
        return None
    return b"\n".join(binascii.a2b_qp(data[lo:hi]) for lo, hi in regions)


def html_unescape(data: bytes) -> bytes | None:
    """Regions around HTML character references (named, decimal, hex), decoded; or None."""
    regions = _match_regions(_ENTITY, data)
    if not regions:
        return None
    return b"\n".join(
        html.unescape(data[lo:hi].decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape"
        )
        for lo, hi in regions
    )


def markup_views(data: bytes) -> list[tuple[str, bytes]]:
    """The quoted-printable and HTML-entity views of ``data`` that can differ from it.

    One Hyperscan pass decides whether either kind of escape is present (most request bodies
    have ``=`` and ``&`` in code or URLs, so a regex search per view would cost more than
    the scan); the regions are then decoded as in `qp_decode` and `html_unescape`.
    """
    if b"=" not in data and b"&" not in data:
        return []
    present = _markup_triggers().which(data)
    out: list[tuple[str, bytes]] = []
    if 0 in present and (qp := qp_decode(data)) is not None:
        out.append(("quoted-printable", qp))
    if 1 in present and (entities := html_unescape(data)) is not None:
        out.append(("html", entities))
    return out


def json_trigger(secret_chars: str) -> re.Pattern[bytes]:
    """Runs of the JSON escapes that can hide a secret: ``\\uXXXX`` always, plus ``\\"``,
    ``\\\\`` and ``\\/`` only when some secret contains that character."""
    extra = sorted(set(secret_chars) & set('"/\\'))
    if not extra:
        # A two-byte literal prefix lets ``re`` skip ahead with a fast search.
        return re.compile(rb"\\u[0-9A-Fa-f]{4}")
    alts = [rb"u[0-9A-Fa-f]{4}", *(re.escape(c.encode()) for c in extra)]
    return re.compile(rb"\\(?:" + b"|".join(alts) + b")")


_DEFAULT_TRIGGER: Final = json_trigger("")


def _unescape_region(region: bytes) -> bytes:
    if region.isascii():
        try:
            text = region.decode("unicode_escape")
        except UnicodeDecodeError:
            pass
        else:
            joined = text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
            return joined.encode("utf-8", "surrogatepass")

    def repl(m: re.Match[bytes]) -> bytes:
        if m.group(1) is not None:
            return chr(int(m.group(1), 16)).encode("utf-8", "surrogatepass")
        return _SIMPLE[m.group(2)].encode()

    return _JSON_ESC.sub(repl, region)


def json_unescape(data: bytes, trigger: re.Pattern[bytes] = _DEFAULT_TRIGGER) -> bytes | None:
    """Regions around JSON string escapes, unescaped (``\\uXXXX`` incl. surrogate pairs);
    or ``None`` when ``data`` holds no escape that ``trigger`` cares about.

    Works on the raw bytes rather than parsing JSON, so a secret split by escapes in a
    malformed or truncated body is still found. Only regions around escapes are decoded
    (a fully escaped secret is already a pass-1 rendering), which keeps large LLM request
    bodies, full of ``\\n`` and ``\\"``, cheap.
    """
    if b"\\" not in data:
        return None
    regions = _match_regions(trigger, data)
    if not regions:
        return None
    return b"\n".join(_unescape_region(data[lo:hi]) for lo, hi in regions)


def _regions(spans: Iterable[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Sorted spans widened by ``FOLD_CONTEXT`` each side and merged."""
    out: list[list[int]] = []
    for s, e in sorted(spans):
        lo, hi = max(0, s - FOLD_CONTEXT), min(size, e + FOLD_CONTEXT)
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def _match_regions(pattern: re.Pattern[bytes], data: bytes) -> list[tuple[int, int]]:
    """`_regions` of every match of ``pattern``, without visiting each match of a dense run.

    Inside a region the next search starts half a context ahead: any match skipped there is
    covered by the region anyway. A flood of escapes therefore costs a search per 512 bytes.
    """
    out: list[tuple[int, int]] = []
    size = len(data)
    m = pattern.search(data)
    while m is not None:
        lo, end = max(0, m.start() - FOLD_CONTEXT), m.end()
        while True:
            m = pattern.search(data, end)
            if m is None or m.start() > end + FOLD_CONTEXT:
                break
            end = m.end()
            # Bounded to the region: a probe never scans the gap to the next region.
            probe = pattern.search(data, end + FOLD_CONTEXT // 2, end + FOLD_CONTEXT + 64)
            if probe is not None and probe.start() <= end + FOLD_CONTEXT:
                end = probe.end()
        out.append((lo, min(size, end + FOLD_CONTEXT)))
    return out


def _suspicious_codepoints() -> list[int]:
    """Code points that can hide an ASCII secret: invisibles, combining marks, confusables,
    and everything NFKC folds to ASCII letters and digits (full-width, math, circled...)."""
    out = set(INVISIBLES) | set(_CONFUSABLES)
    for lo, hi in _COMBINING_RANGES:
        out.update(range(lo, hi + 1))
    for cp in range(0x80, 0x20000):
        if 0xD800 <= cp < 0xE000:
            continue
        folded = unicodedata.normalize("NFKC", chr(cp))
        if folded != chr(cp) and folded.isascii() and folded.isalnum():
            out.add(cp)
    return sorted(out)


_COMBINING_RANGES: Final = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF))
_COMBINING: Final = re.compile(
    "[" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in _COMBINING_RANGES) + "]"
)


def _char_class(codepoints: list[int]) -> str:
    """A regex character class of ``codepoints`` written as ranges (fast in ``re``)."""
    ranges: list[list[int]] = []
    for cp in sorted(codepoints):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges) + "]"


_INVISIBLE_RE: Final = re.compile(_char_class(list(INVISIBLES)) + "+")
_CONFUSABLE_RE: Final = re.compile(_char_class(list(_CONFUSABLES)))


def suspicious_literals() -> list[bytes]:
    """UTF-8 of every suspicious character (what `suspicious_set` matches)."""
    return [chr(cp).encode("utf-8") for cp in _suspicious_codepoints()]


@functools.cache
def suspicious_set() -> LiteralSet:
    """The suspicious characters compiled once per process, on first non-ASCII input (cached
    on disk under ``BB_DLP_CACHE_DIR``: a short-lived process scanning ASCII never pays)."""
    return LiteralSet(suspicious_literals(), "unicode")


def _fold_text(text: str) -> str:
    text = _INVISIBLE_RE.sub("", text)
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    text = unicodedata.normalize("NFKC", text)
    if _CONFUSABLE_RE.search(text):
        for cp, ascii_char in _CONFUSABLE_PAIRS:
            text = text.replace(chr(cp), ascii_char)
    return text


def fold_unicode(data: bytes) -> bytes | None:
    """Regions around suspicious characters, folded; or ``None`` when there are none.

    Folding strips invisibles, removes combining marks (NFKD first, so precomposed accents
    lose them too), applies NFKC and maps confusables to ASCII, in that order (fullsend#444:
    normalise before matching). Only regions around a suspicious character are folded, joined
    by newlines, which keeps ordinary non-ASCII text (CJK, accents, emoji) nearly free.
    """
    if data.isascii():
        return None
    hits, dense = suspicious_set().find_some(data, DENSE_HITS)
    if not hits:
        return None
    if dense:
        return _fold_text(data.decode("utf-8", "replace")).encode("utf-8", "replace")
    regions = _regions(((s, e) for _i, s, e in hits), len(data))
    folded = [
        _fold_text(data[lo:hi].decode("utf-8", "replace")).encode("utf-8", "replace")
        for lo, hi in regions
    ]
    return b"\n".join(folded)
