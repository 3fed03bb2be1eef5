"""Responses: streamed to the agent, with the route's injected credentials scrubbed out.

Why stream: responses are not what the DLP guards (it scans what leaves), and buffering
them would hold back server-sent events until the model finishes and cost memory for every
download. mitmproxy's ``body_size_limit`` is checked before any hook and caps responses too,
so `bb-egress run` sets it high and enforces its own, lower, request limit in the addon.

Why scrub: an origin may echo request headers (debug endpoints, error pages); the agent
must never read the credential the proxy injected. On a route that injected one, every
occurrence becomes ``REDACTED***`` (same length) in the response headers, before they are
sent, and in the body: streamed through `Scrubber` when the body is not content-encoded
(the proxy asks for ``Accept-Encoding: identity`` on such routes), otherwise buffered,
decoded and scrubbed; a buffered body that cannot be decoded is withheld by the addon.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from mitmproxy import http

__all__ = [
    "META_INJECTED",
    "REDACTED",
    "Scrubber",
    "mask",
    "scrub_body",
    "scrub_headers",
    "scrub_text",
]

META_INJECTED: Final = "bb_injected"
"""Flow metadata key: the credential values injected into this request (memory only)."""

REDACTED: Final = "REDACTED"
"""The marker a credential becomes (padded with ``*`` to the value's length)."""


def mask(value: str) -> str:
    """The replacement for ``value``: ``REDACTED`` padded or cut to the same length, so a
    streamed body still matches its Content-Length."""
    return (REDACTED + "*" * len(value))[: len(value)]


def scrub_text(text: str, values: Sequence[str]) -> str:
    """``text`` with every occurrence of any of ``values`` masked (longest first)."""
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, mask(value))
    return text


def scrub_headers(headers: http.Headers, values: Sequence[str]) -> http.Headers | None:
    """New headers without ``values``, or None when none occurs (the common case)."""
    pairs: list[tuple[str, str]] = list(headers.items(multi=True))  # type: ignore[no-untyped-call]
    if not any(v in value for _name, value in pairs for v in values):
        return None
    return http.Headers(
        [
            (
                name.encode("utf-8", "surrogateescape"),
                scrub_text(value, values).encode("utf-8", "surrogateescape"),
            )
            for name, value in pairs
        ]
    )


def scrub_body(response: http.Response, values: Sequence[str]) -> bool:
    """Scrub a buffered body in place (decoding it first); False when it cannot be decoded."""
    try:
        body = response.get_content(strict=True)
    except ValueError:
        return False
    encoded = [v.encode() for v in values]
    if body and any(v in body for v in encoded):
        response.content = scrub_text(body.decode("latin-1"), values).encode("latin-1")
    return True


class Scrubber:
    """A mitmproxy stream callable that replaces ``values`` in an identity-encoded body.

    A value split across chunks is caught by holding back the longest chunk tail that is a
    prefix of some value; everything else is passed on at once, so server-sent events are
    not delayed. mitmproxy calls it with ``b""`` at the end, which flushes the tail.
    """

    def __init__(self, values: Sequence[str]) -> None:
        ordered = sorted((v for v in values if v), key=len, reverse=True)
        self._values = [v.encode() for v in ordered]
        self._masks = [mask(v).encode() for v in ordered]
        self._tail = b""

    def _held(self, data: bytes) -> int:
        longest = min(len(data), max((len(v) for v in self._values), default=1) - 1)
        for size in range(longest, 0, -1):
            suffix = data[-size:]
            if any(v.startswith(suffix) for v in self._values):
                return size
        return 0

    def __call__(self, chunk: bytes) -> bytes:
        """The bytes that may go to the agent now."""
        data = self._tail + chunk
        for value, masked in zip(self._values, self._masks, strict=True):
            data = data.replace(value, masked)
        if not chunk:  # end of the body
            self._tail = b""
            return data
        held = self._held(data)
        self._tail = data[len(data) - held :] if held else b""
        return data[: len(data) - held]
