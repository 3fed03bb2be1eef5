"""Rewriting a request so the values the engine found no longer leave the bottle."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Final

from bb_dlp.bodies import content_encodings, decode_body
from bb_dlp.config import DEFAULT_MAX_DECODED_BYTES
from bb_dlp.models import Finding, OutboundRequest

__all__ = ["REDACTED", "redact_tokens", "strip_crlf"]

REDACTED: Final = "REDACTED"
"""Replacement text: URL- and header-safe, so the rewritten request stays well-formed."""

_CRLF: Final = re.compile(r"[\r\n]|%0[dDaA]")
_NEVER_EDITED: Final = frozenset({"host", ":authority"})


def _scrub(text: str, values: list[str]) -> str:
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def redact_tokens(
    request: OutboundRequest, findings: tuple[Finding, ...] | list[Finding]
) -> OutboundRequest:
    """``request`` with every redactable finding's value replaced by ``REDACTED``.

    Path and query, non-Host headers and the body are rewritten. An encoded body is decoded,
    scrubbed and sent as identity (Content-Encoding removed). CRLF findings are left to
    `strip_crlf`; unredactable findings are left alone (the caller must refuse those).
    """
    by_surface: dict[str, list[str]] = {}
    for f in findings:
        if f.redactable and f.matched and f.detector != "crlf":
            by_surface.setdefault(f.surface, []).append(f.matched)
    if not by_surface:
        return request
    path = _scrub(request.path, by_surface.get("url", []))
    headers: list[tuple[str, str]] = []
    for name, value in request.headers:
        surface = f"header:{name.lower()}"
        if surface in by_surface and name.lower() not in _NEVER_EDITED:
            value = _scrub(value, by_surface[surface])
        headers.append((name, value))
    body = request.body
    if "body" in by_surface and body:
        decoded = decode_body(body, request.headers, DEFAULT_MAX_DECODED_BYTES)
        if decoded.problem is None:
            text = _scrub(decoded.data.decode("latin-1"), by_surface["body"])
            body = text.encode("latin-1")
            if content_encodings(request.headers):
                headers = [(n, v) for n, v in headers if n.lower() != "content-encoding"]
    return replace(request, path=path, headers=headers, body=body)


def strip_crlf(request: OutboundRequest) -> OutboundRequest:
    """``request`` with CR, LF and ``%0d``/``%0a`` removed from the path and every header."""
    return replace(
        request,
        path=_CRLF.sub("", request.path),
        headers=[(_CRLF.sub("", n), _CRLF.sub("", v)) for n, v in request.headers],
    )
