"""Pure: how a destination host is shown to the operator, so a look-alike cannot hide its owner.

A host such as ``api.github.com.aaaa….aaaa.evil.example`` (244 characters, every label
valid) reads as GitHub wherever a table or a dialog cuts it on the right. Who answers
for a name is decided by its *registrable domain* (eTLD+1: the public suffix plus one
label, here ``evil.example``), so every view shows that domain on its own, and where a
host must be shortened it is cut from the LEFT (`clip_host`), never losing that domain.
Where the operator decides (``bb queue show``, the detail pane, the approve and modify
dialogs, the approval confirmation) the full host is shown too (`host_lines`).

Hosts that have no registrable domain are named for what they are: an IP literal, a
single label (``localhost``), or a public suffix itself (``co.uk``, ``github.io``). A
wildcard route ``*.github.io`` whose base is a public suffix matches every owner's site
under it, which is worth a warning. IDNA names are shown in their ASCII (punycode) form,
which is what gets applied, followed by the decoded form when it differs, with the
scripts its letters come from: mixed scripts in one label are the classic look-alike.

The public suffix list comes from `publicsuffixlist`, chosen because it has no
dependencies, ships the list inside its wheel (frequent releases, the version carries the
snapshot date) and never touches the network: refreshing is a separate ``update`` module
that nothing here runs. ``tldextract`` fetches the list over HTTP and caches it on disk
unless told ``suffix_list_urls=()`` and pulls in requests and filelock; ``publicsuffix2``
(which mitmproxy depends on) froze its snapshot in 2019. Private-section suffixes are
honoured: ``evil.github.io`` belongs to whoever registered it, not to GitHub.

Every string returned here has passed through `bb_protocol.sanitize`.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

from publicsuffixlist import PublicSuffixList

from bb_protocol.routes import is_ip_literal, normalise_host
from bb_protocol.sanitize import sanitize_line

__all__ = ["ELLIPSIS", "HostKind", "HostView", "clip_host", "host_lines", "view_host"]

ELLIPSIS: Final = "…"
"""Marks where a host was cut (always on its left)."""

HostKind = Literal["domain", "ip", "single-label", "public-suffix", "invalid"]
"""What a host is, for the registrable-domain column."""

_MAX_SHOWN: Final = 300
"""Longest host text shown in full (valid hosts are at most 253 characters)."""


@functools.cache
def _psl() -> PublicSuffixList:
    """The bundled list, loaded once (about 10k rules; no network)."""
    return PublicSuffixList()


@dataclass(frozen=True)
class HostView:
    """A host as the operator should read it. Every field is sanitised text."""

    host: str
    """The full host in canonical ASCII form (``*.`` kept for a wildcard route)."""
    registrable: str
    """The registrable domain (eTLD+1), or what stands in for it (see ``kind``)."""
    kind: HostKind
    """``domain`` when ``registrable`` is a true eTLD+1; otherwise why it is not."""
    wildcard: bool = False
    """True for a route pattern ``*.domain`` (matches every name below ``domain``)."""
    decoded: str | None = None
    """The Unicode form of ``host`` when it differs from the ASCII form (IDNA)."""
    decoded_registrable: str | None = None
    """The Unicode form of ``registrable`` when it differs."""
    warnings: tuple[str, ...] = ()
    """What the operator should look at twice (mixed scripts, public-suffix wildcard, ...)."""

    @property
    def domain_label(self) -> str:
        """The registrable-domain column: the domain, its decoded form, and its kind."""
        label = self.registrable
        if self.decoded_registrable:
            label += f" ({self.decoded_registrable})"
        if self.kind == "domain":
            return label
        return f"{label} [{self.kind}]"


def _clean(text: str) -> str:
    return sanitize_line(text, max_line=_MAX_SHOWN)


def _script(char: str) -> str | None:
    """The script a letter belongs to (first word of its Unicode name), None for others."""
    if not char.isalpha():
        return None
    try:
        name = unicodedata.name(char)
    except ValueError:
        return "UNKNOWN"
    for prefix in ("CJK", "HANGUL", "HIRAGANA", "KATAKANA"):
        if name.startswith(prefix):
            return prefix
    return name.split(" ", 1)[0]


def _decode(ascii_host: str) -> tuple[str | None, list[str]]:
    """The Unicode form of an ASCII host (None if the same) and warnings about it."""
    warnings: list[str] = []
    labels: list[str] = []
    for label in ascii_host.split("."):
        if not label.startswith("xn--"):
            labels.append(label)
            continue
        try:
            decoded = label[4:].encode("ascii").decode("punycode")
        except (UnicodeError, ValueError):
            warnings.append(f"label {label!r} is not valid punycode")
            labels.append(label)
            continue
        scripts = sorted({s for s in map(_script, decoded) if s})
        if len(scripts) > 1:
            warnings.append(f"label {decoded!r} mixes scripts ({', '.join(scripts)}): a look-alike")
        elif scripts and scripts != ["LATIN"]:
            warnings.append(f"label {decoded!r} is {scripts[0].title()}, not Latin")
        elif scripts:
            warnings.append(f"label {decoded!r} has accented or special Latin letters")
        labels.append(decoded)
    text = ".".join(labels)
    return (None if text == ascii_host else text), warnings


@functools.lru_cache(maxsize=1024)
def view_host(host: str) -> HostView:
    """How ``host`` (a route pattern or a request's host, as sent) is shown. Never raises."""
    text = host.strip()
    wildcard = text.startswith("*.")
    base = text[2:] if wildcard else text
    if base.startswith("[") or is_ip_literal(base or "x"):
        shown = base.rstrip(".").lower()
        return HostView(_clean(shown), _clean(shown), "ip", wildcard)
    try:
        canonical = normalise_host(base)
    except ValueError as exc:
        shown = _clean(text)
        return HostView(shown, "?", "invalid", wildcard, warnings=(_clean(str(exc)),))
    full = ("*." if wildcard else "") + canonical
    warnings: list[str] = []
    suffix = _psl().publicsuffix(canonical) or canonical
    registrable = _psl().privatesuffix(canonical)
    kind: HostKind = "domain"
    if registrable is None:
        registrable = canonical
        kind = "single-label" if "." not in canonical else "public-suffix"
        if wildcard and kind == "public-suffix":
            warnings.append(
                f"*.{canonical} matches names of every owner under the public suffix {suffix}"
            )
    decoded, idna_warnings = _decode(full)
    warnings += idna_warnings
    decoded_registrable, _ = _decode(registrable)
    return HostView(
        host=_clean(full),
        registrable=_clean(registrable),
        kind=kind,
        wildcard=wildcard,
        decoded=_clean(decoded) if decoded else None,
        decoded_registrable=_clean(decoded_registrable) if decoded_registrable else None,
        warnings=tuple(_clean(w) for w in warnings),
    )


def clip_host(view: HostView, width: int) -> str:
    """``view.host`` in at most ``width`` characters, cut on the LEFT.

    The registrable domain always survives whole, even when it alone is wider than
    ``width``: a narrow column may push it right, never hide it.
    """
    host = view.host
    if len(host) <= width:
        return host
    keep = max(width - len(ELLIPSIS), len(view.registrable))
    if view.kind == "domain" and view.registrable and host.endswith(view.registrable):
        keep = max(keep, len(view.registrable) + 1)  # keep the dot: ".evil.example"
    return ELLIPSIS + host[-keep:]


def host_lines(view: HostView) -> dict[str, object]:
    """The full picture for where the operator decides (a YAML-ready mapping)."""
    out: dict[str, object] = {
        "host": view.host,
        "registrable_domain": view.registrable,
    }
    if view.kind != "domain":
        out["kind"] = view.kind
    if view.wildcard:
        out["matches"] = f"every name below {view.host[2:]}"
    if view.decoded:
        out["decoded"] = view.decoded
    if view.decoded_registrable:
        out["decoded_registrable_domain"] = view.decoded_registrable
    if view.warnings:
        out["warnings"] = list(view.warnings)
    return out
