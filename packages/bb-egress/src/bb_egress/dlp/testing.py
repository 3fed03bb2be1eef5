"""Helpers for tests and benchmarks of the engine (shipped, like ``mitmproxy.test.tflow``).

`encodings_of` is the transform list the recall matrix and the property tests run: every way
an agent can render a secret that the engine promises to catch.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from typing import Final

from bb_egress.dlp.models import OutboundRequest

__all__ = ["TRANSFORMS", "encodings_of", "make_request"]


def make_request(
    path: str = "/",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    *,
    method: str = "POST",
    host: str = "api.example.com",
) -> OutboundRequest:
    """An HTTPS request to ``host`` with the given parts."""
    return OutboundRequest(method, "https", host, 443, path, list(headers or []), body)


def _b64_at(offset: int, alphabet: str, padded: bool) -> Callable[[str], str]:
    def render(secret: str) -> str:
        blob = b"x" * offset + secret.encode() + b"yz"[: (3 - (offset + len(secret)) % 3) % 3]
        out = (
            base64.b64encode(b"pre" + blob)
            if alphabet == "std"
            else base64.urlsafe_b64encode(b"pre" + blob)
        )
        return (out if padded else out.rstrip(b"=")).decode()

    return render


def _percent_all(secret: str) -> str:
    return "".join(f"%{b:02X}" for b in secret.encode())


def _percent_mixed(secret: str) -> str:
    rnd = random.Random(secret)  # noqa: S311 - test data, not cryptography
    return "".join(
        (f"%{b:02x}" if rnd.random() < 0.5 else f"%{b:02X}") if i % 2 else chr(b)
        for i, b in enumerate(secret.encode())
    )


def _percent_twice(secret: str) -> str:
    return _percent_all(secret).replace("%", "%25")


def _json_partial(secret: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if i % 3 == 0 else c for i, c in enumerate(secret))


TRANSFORMS: Final[dict[str, Callable[[str], str]]] = {
    "raw": lambda s: s,
    "base64-std-0": _b64_at(0, "std", True),
    "base64-std-1": _b64_at(1, "std", True),
    "base64-std-2": _b64_at(2, "std", False),
    "base64-url-0": _b64_at(0, "url", False),
    "base64-url-1": _b64_at(1, "url", True),
    "base64-url-2": _b64_at(2, "url", False),
    "hex-lower": lambda s: s.encode().hex(),
    "hex-upper": lambda s: s.encode().hex().upper(),
    "percent-all": _percent_all,
    "percent-mixed": _percent_mixed,
    "percent-twice": _percent_twice,
    "json-unicode-all": lambda s: "".join(f"\\u{ord(c):04x}" for c in s),
    "json-unicode-partial": _json_partial,
    "separators-space": lambda s: " ".join(s),
    "separators-dash": lambda s: "-".join(s),
    "separators-dots": lambda s: ".".join(s),
    "zero-width": lambda s: "\u200b".join(s),
    "tag-chars": lambda s: "\U000e0020".join(s),
    "soft-hyphen": lambda s: "\u00ad".join(s),
    "fullwidth": lambda s: "".join(
        chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in s
    ),
    "fragment-head": lambda s: s[: max(len(s) * 2 // 3, 18)],
    "fragment-tail": lambda s: s[-max(len(s) * 2 // 3, 18) :],
}
"""Name -> rendering. Fragments keep at least 18 characters (above ``PARTIAL_MATCH_MIN_LEN``)."""


def encodings_of(secret: str) -> dict[str, str]:
    """Every rendering in `TRANSFORMS` of ``secret``."""
    return {name: render(secret) for name, render in TRANSFORMS.items()}
