"""The scan: one outbound request or websocket message in, findings out.

Work is organised as *blobs* (the request line and headers joined into one buffer, the body,
a websocket message), each scanned through a few *views* (raw, percent-decoded, JSON-unescaped,
Unicode-folded, multipart transfer-decoded). Every view is matched against all known-secret
renderings and all provider rules in one Hyperscan pass each; the alphanumeric projection of
each view is matched against pass-2 projections and pass-3 windows. Hits found in a decoded
view are located back in the bytes as sent when possible, so they can be redacted.

No state outlives a call; the config is read-only, so scans may run in worker threads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from bb_dlp.bodies import decode_body, multipart_parts
from bb_dlp.catalogue import Catalogue, json_unescaped
from bb_dlp.config import DlpConfig
from bb_dlp.entropy import shannon_entropy
from bb_dlp.models import Finding, OutboundRequest, ScanResult, WebSocketMessage
from bb_dlp.secrets import PIECE_MIN_LEN, project, tolerant_pattern
from bb_dlp.unpack import content_views, sniff_decompress
from bb_dlp.views import fold_unicode, json_unescape, markup_views, percent_decode

__all__ = ["ENTROPY_THRESHOLD", "scan_content", "scan_outbound", "scan_websocket_message"]

ENTROPY_THRESHOLD: Final = 5.5
"""Bits/char for the opt-in ``entropy`` detector (a random base64 run is ~5.9-6.0)."""

_ENTROPY_RUN: Final = re.compile(rb"[A-Za-z0-9+/_=-]{64,}")
_CRLF: Final = re.compile(r"[\r\n]|%0[dDaA]")
_ALNUM: Final = re.compile(rb"[A-Za-z0-9]")


@dataclass(frozen=True, slots=True)
class _Segment:
    surface: str
    start: int
    end: int
    editable_from: int  # absolute offset where redactable text begins (-1: never)


@dataclass(slots=True)
class _Blob:
    data: bytes
    segments: list[_Segment]
    text_codec: str
    extra: list[tuple[str, bytes]] = field(default_factory=list)
    views: list[tuple[str, bytes]] = field(default_factory=list)
    exact_found: set[int] = field(default_factory=set)
    history: bool = False  # an earlier message: searched for pieces only
    decode_extra: bool = True  # percent/JSON/markup views of the extra views too


@dataclass(slots=True)
class _State:
    config: DlpConfig
    safe: frozenset[str]
    findings: list[Finding] = field(default_factory=list)
    approved: set[int] = field(default_factory=set)
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    # (blob, detector + key, surface) -> ranges of that blob already reported: a later pass
    # finding the same secret inside one (separators after the percent view) adds nothing
    reported: dict[tuple[int, str, str], list[tuple[int, int]]] = field(default_factory=dict)
    found: set[int] = field(default_factory=set)
    earlier: dict[str, frozenset[int]] = field(default_factory=dict)
    # secret index -> (blob, view name, view bytes, projection start, end, offsets in secret)
    pieces: dict[int, list[tuple[_Blob, str, bytes, int, int, tuple[int, ...]]]] = field(
        default_factory=dict
    )


def _mask(value: str) -> str:
    keep = min(4, len(value) // 5)
    return f"{value[:keep]}…[{len(value)} chars]"


def _segment_at(blob: _Blob, start: int, end: int) -> tuple[_Segment, bool]:
    for seg in blob.segments:
        if seg.start <= start < max(seg.end, seg.start + 1):
            editable = seg.editable_from >= 0 and start >= seg.editable_from and end <= seg.end
            return seg, editable
    return blob.segments[-1], False


def _emit(
    state: _State,
    blob: _Blob,
    *,
    detector: str,
    severity: str,
    preview: str,
    view: str,
    span: tuple[int, int],
    found: bytes,
    secret_name: str | None,
    key: str,
) -> bool:
    """Record one hit; False when it was an approved (safe) value."""
    start, end = span
    located: tuple[int, int] | None = (start, end) if view == "raw" else None
    if located is None:
        m = tolerant_pattern(found).search(blob.data)
        if m is not None:
            located = (m.start(), m.end())
    if located is not None:
        seg, editable = _segment_at(blob, *located)
        raw = blob.data[located[0] : located[1]].decode(blob.text_codec, "surrogateescape")
        rel = (located[0] - seg.start, located[1] - seg.start)
    else:
        seg, editable = blob.segments[0], False
        raw = found.decode(blob.text_codec, "surrogateescape")
        rel = span
    if raw in state.safe:
        return False
    dedupe = (detector + key, seg.surface, raw)
    if dedupe in state.seen:
        return True
    if located is not None:
        ranges = state.reported.setdefault((id(blob), detector + key, seg.surface), [])
        if any(s <= located[0] and located[1] <= e for s, e in ranges):
            return True  # one leak, already reported through another view or pass
        ranges.append(located)
    state.seen.add(dedupe)
    state.findings.append(
        Finding(
            detector=detector,
            surface=seg.surface,
            span=rel,
            severity=severity,
            preview=preview,
            matched=raw,
            secret_name=secret_name,
            redactable=editable,
        )
    )
    return True


def _detector_for(state: _State, secret_idx: int, view: str) -> tuple[str, str]:
    secret = state.config.secrets[secret_idx]
    if secret.is_canary:
        return "canary", "critical"
    if view.startswith("unicode") and "unicode_evasion" in state.config.detectors:
        return "unicode_evasion", "high"
    return "known_secrets", "high"


def _prepare_views(state: _State, blob: _Blob) -> None:
    cfg = state.config
    views: list[tuple[str, bytes]] = []
    for base, data in [("raw", blob.data), *blob.extra]:
        views.append((base, data))
        if base != "raw" and not blob.decode_extra:
            continue
        prefix = "" if base == "raw" else f"{base}+"
        pct = percent_decode(data)
        if pct is not None:
            views.append((f"{prefix}percent", pct))
        js = json_unescape(data, cfg.matchers.json_trigger)
        if js is not None:
            views.append((f"{prefix}json", js))
        if blob.history:
            continue
        views.extend((f"{prefix}{name}", view) for name, view in markup_views(data))
    if "unicode_evasion" in cfg.detectors and not blob.history:
        for name, data in list(views):
            folded = fold_unicode(data)
            if folded is not None:
                views.append((f"unicode:{name}", folded))
    blob.views = views


def _exact_and_rules(state: _State, blob: _Blob) -> None:
    m = state.config.matchers
    for view, data in blob.views:
        for lit, start, end in m.exact.find(data):
            if m.exact_kind[lit] == "reversed" and view.startswith("reversed"):
                continue  # the secret itself, read backwards: the forward view reports it
            idx = m.exact_owner[lit]
            secret = state.config.secrets[idx]
            detector, severity = _detector_for(state, idx, view)
            kind = m.exact_kind[lit] if view == "raw" else f"{m.exact_kind[lit]}, {view}"
            emitted = _emit(
                state,
                blob,
                detector=detector,
                severity=severity,
                preview=f"{secret.name} ({kind})",
                view=view,
                span=(start, end),
                found=data[start:end],
                secret_name=secret.name,
                key=secret.name,
            )
            if emitted:
                blob.exact_found.add(idx)
                state.found.add(idx)
            else:
                state.approved.add(idx)
        if m.catalogue is not None:
            _token_patterns(state, blob, m.catalogue, view, data)


def _token_patterns(
    state: _State, blob: _Blob, catalogue: Catalogue, view: str, data: bytes
) -> None:
    """Catalogue rules over one view; the raw view is scanned JSON-unescaped when it holds
    escapes (``\\n`` or ``\\"`` touching a token break the rules' word boundaries): one
    pass, and a hit is located back in the bytes as sent like any decoded view's."""
    if view == "raw":
        unescaped = json_unescaped(data)
        if unescaped is not None:
            view, data = "json-string", unescaped
    for hit in catalogue.scan(data):
        token = data[hit.start : hit.end]
        _emit(
            state,
            blob,
            detector="token_patterns",
            severity=hit.severity,
            preview=f"{hit.rule_id}: {_mask(token.decode('latin-1'))}",
            view=view,
            span=(hit.start, hit.end),
            found=token,
            secret_name=None,
            key=hit.rule_id,
        )


def _merged(spans: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
    """Overlapping window hits of one secret merged into intervals (flag: any full match)."""
    out: list[tuple[int, int, bool]] = []
    for start, end, full in sorted(spans):
        if out and start <= out[-1][1]:
            s0, e0, f0 = out[-1]
            out[-1] = (s0, max(e0, end), f0 or full)
        else:
            out.append((start, end, full))
    return out


def _projection(state: _State, blob: _Blob) -> None:
    m = state.config.matchers
    if not m.projection.literals:
        return  # no known secret: projecting every view would find nothing
    for view, data in blob.views:
        proj = project(data)
        hits = m.projection.find(proj)
        if not hits:
            continue
        per_secret: dict[int, list[tuple[int, int, bool]]] = {}
        for lit, start, end in hits:
            idx = m.projection_owner[lit]
            if idx in state.approved:
                continue
            kind = m.projection_kind[lit]
            if kind.startswith("reversed") and view.startswith("reversed"):
                continue  # as in the exact pass
            if kind == "piece":
                state.pieces.setdefault(idx, []).append(
                    (blob, view, data, start, end, m.piece_offsets[lit])
                )
            elif not blob.history:
                per_secret.setdefault(idx, []).append((start, end, kind != "fragment"))
        if not per_secret:
            continue
        index = [mm.start() for mm in _ALNUM.finditer(data)]
        for idx, spans in sorted(per_secret.items()):
            secret = state.config.secrets[idx]
            detector, severity = _detector_for(state, idx, view)
            for start, end, full in _merged(spans):
                how = "separators" if full else "fragment"
                span = (index[start], index[end - 1] + 1)
                emitted = _emit(
                    state,
                    blob,
                    detector=detector,
                    severity=severity,
                    preview=f"{secret.name} ({how}, {view})",
                    view=view,
                    span=span,
                    found=data[span[0] : span[1]],
                    secret_name=secret.name,
                    key=secret.name,
                )
                if emitted:
                    state.found.add(idx)


def _covers(length: int, offsets: list[int]) -> bool:
    """True when pieces of ``PIECE_MIN_LEN`` at ``offsets`` cover every position < length."""
    reach = 0
    for off in sorted(offsets):
        if off > reach:
            return False
        reach = max(reach, off + PIECE_MIN_LEN)
    return reach >= length


def _pieces(state: _State) -> None:
    """Secrets reassembled from pieces: report each piece when together they cover it all.

    Pieces come from every blob and view of the request (URL, headers, body) or from the
    current and recent websocket messages. A secret already reported is skipped; at least
    one piece must sit in the current request or message.
    """
    for idx, hits in sorted(state.pieces.items(), key=lambda item: item[0]):
        if idx in state.found or idx in state.approved:
            continue
        if all(blob.history for blob, *_rest in hits):
            continue
        secret = state.config.secrets[idx]
        offsets = [o for *_r, offs in hits for o in offs]
        before = state.earlier.get(secret.name, frozenset())
        if not _covers(len(secret.projection), offsets):
            if not before or not _covers(len(secret.projection), [*offsets, *before]):
                continue
            hits = [h for h in hits if not h[0].history]
        # Raw hits first; a decoded view's hit only where it covers what raw hits do not
        # (the same piece seen again through a view would be reported twice).
        raw_cover = {
            o + i
            for _b, view, _d, _s, _e, offs in hits
            if view == "raw"
            for o in offs
            for i in range(PIECE_MIN_LEN)
        }
        by_view: dict[tuple[int, str], list[tuple[int, int, bool]]] = {}
        where: dict[tuple[int, str], tuple[_Blob, bytes]] = {}
        for blob, view, data, start, end, offs in hits:
            if view != "raw" and all(o + i in raw_cover for o in offs for i in range(end - start)):
                continue
            key = (id(blob), view)
            by_view.setdefault(key, []).append((start, end, False))
            where[key] = (blob, data)
        for key, spans in by_view.items():
            blob, data = where[key]
            view = key[1]
            index = [mm.start() for mm in _ALNUM.finditer(data)]
            detector, severity = _detector_for(state, idx, view)
            for start, end, _full in _merged(spans):
                span = (index[start], index[end - 1] + 1)
                if view == "raw":
                    # A piece can run on from a header's name (``X-A: yV...`` matching
                    # ``ayV``) or into the next line: only the value part is redacted.
                    seg, _ = _segment_at(blob, *span)
                    clipped = (max(span[0], seg.editable_from), min(span[1], seg.end))
                    span = clipped if clipped[0] < clipped[1] else span
                _emit(
                    state,
                    blob,
                    detector=detector,
                    severity=severity,
                    preview=f"{secret.name} (pieces, {view})",
                    view=view,
                    span=span,
                    found=data[span[0] : span[1]],
                    secret_name=secret.name,
                    key=secret.name,
                )


def _entropy(state: _State, blob: _Blob) -> None:
    for hit in _ENTROPY_RUN.finditer(blob.data):
        run = hit.group()
        if shannon_entropy(run[:4096]) >= ENTROPY_THRESHOLD:
            seg, _ = _segment_at(blob, hit.start(), hit.end())
            state.findings.append(
                Finding(
                    detector="entropy",
                    surface=seg.surface,
                    span=(hit.start() - seg.start, hit.end() - seg.start),
                    severity="info",
                    preview=f"high-entropy run {_mask(run.decode('latin-1'))}",
                    matched=run.decode(blob.text_codec, "surrogateescape"),
                    secret_name=None,
                    redactable=False,
                )
            )


def _problem(state: _State, surface: str, message: str) -> None:
    state.findings.append(
        Finding(
            detector="encoding",
            surface=surface,
            span=(0, 0),
            severity="high",
            preview=message,
            matched="",
            secret_name=None,
            redactable=False,
        )
    )


def _scan_blobs(state: _State, blobs: list[_Blob]) -> ScanResult:
    for blob in blobs:
        _prepare_views(state, blob)
        if not blob.history:
            _exact_and_rules(state, blob)
    for blob in blobs:
        _projection(state, blob)
        if "entropy" in state.config.detectors and not blob.history:
            _entropy(state, blob)
    _pieces(state)
    for blob in blobs:
        blob.views = []
        blob.extra = []
    seen = tuple(
        (
            state.config.secrets[idx].name,
            tuple(sorted({o for b, *_r, offs in hits if not b.history for o in offs})),
        )
        for idx, hits in sorted(state.pieces.items(), key=lambda item: item[0])
        if idx not in state.found and any(not b.history for b, *_r in hits)
    )
    state.pieces.clear()
    return ScanResult(tuple(state.findings), seen)


def _enc(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _meta_blob(request: OutboundRequest) -> _Blob:
    parts: list[bytes] = []
    segments: list[_Segment] = []
    pos = 0

    def add(surface: str, text: bytes, editable_at: int | None) -> None:
        nonlocal pos
        parts.append(text)
        editable = -1 if editable_at is None else pos + editable_at
        segments.append(_Segment(surface, pos, pos + len(text), editable))
        pos += len(text) + 1

    add("url", _enc(request.path), 0)
    add("host", _enc(request.host), None)
    for name, value in request.headers:
        head = _enc(name) + b": "
        editable = None if name.lower() in ("host", ":authority") else len(head)
        add(f"header:{name.lower()}", head + _enc(value), editable)
    return _Blob(b"\n".join(parts), segments, "utf-8")


def _crlf(state: _State, request: OutboundRequest) -> None:
    checks = [("url", request.method + " " + request.path)]
    checks += [(f"header:{n.lower()}", f"{n}: {v}") for n, v in request.headers]
    for surface, text in checks:
        for hit in _CRLF.finditer(text):
            state.findings.append(
                Finding(
                    detector="crlf",
                    surface=surface,
                    span=hit.span(),
                    severity="high",
                    preview=f"{hit.group()!r} in {surface}",
                    matched=hit.group(),
                    secret_name=None,
                    redactable=True,
                )
            )


def scan_outbound(
    request: OutboundRequest,
    config: DlpConfig,
    safe_tokens: frozenset[str] = frozenset(),
    earlier: Sequence[tuple[str, Sequence[int]]] = (),
) -> ScanResult:
    """Every finding in ``request``: URL, host, every header, the decoded body.

    ``safe_tokens`` are values the operator approved: they are skipped and scanning goes on.
    ``earlier`` are the `ScanResult.pieces` of recent requests to the same destination: a
    secret whose pieces here complete, with those, a cover of the whole secret is reported
    (at the pieces in this request).
    """
    state = _State(config, safe_tokens)
    for name, offsets in earlier:
        state.earlier[name] = state.earlier.get(name, frozenset()) | frozenset(offsets)
    if "crlf" in config.detectors:
        _crlf(state, request)
    blobs: list[_Blob] = [_meta_blob(request)]
    if request.body:
        decoded = decode_body(request.body, request.headers, config.max_decoded_bytes)
        if decoded.problem is not None:
            _problem(state, "body", decoded.problem)
        parts = multipart_parts(decoded.data, request.headers)
        if isinstance(parts, str):
            _problem(state, "body", parts)
            parts = []
        segment = _Segment("body", 0, len(decoded.data), 0)
        extra = [("multipart", part) for part in parts or []]
        if decoded.encoding is None and decoded.problem is None:
            sniffed = sniff_decompress(decoded.data, config.max_decoded_bytes)
            if isinstance(sniffed, str):
                _problem(state, "body", sniffed)
            elif sniffed is not None:
                extra.append((f"{sniffed[0]} (no content-encoding)", sniffed[1]))
        blobs.append(_Blob(decoded.data, [segment], "latin-1", extra))
    return _scan_blobs(state, blobs)


def scan_websocket_message(
    message: WebSocketMessage,
    config: DlpConfig,
    safe_tokens: frozenset[str] = frozenset(),
    recent: Sequence[bytes] = (),
) -> ScanResult:
    """Every finding in one client websocket message (text or binary).

    ``recent`` are the connection's earlier client messages that passed (the caller bounds
    them: `bb_egress` keeps a few kilobytes): they are searched only for pieces that, with
    pieces of this message, reassemble a whole secret split across messages.
    """
    state = _State(config, safe_tokens)
    codec = "utf-8" if message.is_text else "latin-1"
    segment = _Segment("websocket", 0, len(message.content), -1)
    blobs = [_Blob(message.content, [segment], codec)]
    for earlier in recent:
        seg = _Segment("websocket:earlier", 0, len(earlier), -1)
        blobs.append(_Blob(earlier, [seg], codec, history=True))
    return _scan_blobs(state, blobs)


def scan_content(
    data: bytes,
    config: DlpConfig,
    *,
    surface: str = "content",
    safe_tokens: frozenset[str] = frozenset(),
) -> ScanResult:
    """Every finding in one piece of stored content: a file, a message, a list of names.

    Besides the request views (percent, JSON escapes, Unicode folding), the content's own
    decoded views are scanned (`bb_dlp.unpack`: NUL-stripped and UTF-16 text, archives and
    compressed streams by magic number, base64 runs, reversed bytes), since nothing says
    how a file is encoded. A decoding refused for its size is an ``encoding`` finding.
    Spans of findings located in ``data`` are offsets into it (``redactable`` true).
    """
    state = _State(config, safe_tokens)
    unpacked = content_views(data, config.max_decoded_bytes)
    for problem in unpacked.problems:
        _problem(state, surface, problem)
    segment = _Segment(surface, 0, len(data), 0)
    # The content's own views (many, nested) are matched as they are: decoding each of them
    # again would double the gate's cost for forms no file carries.
    blob = _Blob(data, [segment], "latin-1", unpacked.views, decode_extra=False)
    return _scan_blobs(state, [blob])
