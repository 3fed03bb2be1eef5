"""Helpers for tests and benchmarks of the engine (shipped, like ``mitmproxy.test.tflow``).

`encodings_of` is the transform list the recall matrix and the property tests run: every way
an agent can render a secret that the engine promises to catch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Callable
from typing import Final

from bb_dlp.models import OutboundRequest

__all__ = [
    "TRANSFORMS",
    "encodings_of",
    "llm_request_body",
    "make_request",
    "negative_corpus",
    "random_secrets",
]


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


def _hexs(seed: str, n: int) -> str:
    out = ""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}{i}".encode()).hexdigest()
        i += 1
    return out[:n]


def _bytes(seed: str, n: int) -> bytes:
    return bytes.fromhex(_hexs(seed, 2 * n))


def _code_samples() -> list[str]:
    import inspect
    import json as json_module
    import urllib.parse as urlparse_module

    return [inspect.getsource(json_module.encoder), inspect.getsource(urlparse_module)[:20000]]


def random_secrets(count: int = 20, seed: str = "bb") -> dict[str, str]:
    """``count`` known secrets of realistic shapes (random alphanumerics with separators)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    out: dict[str, str] = {}
    for i in range(count):
        raw = _bytes(f"{seed}-{i}", 40)
        value = "".join(alphabet[b % len(alphabet)] for b in raw)
        if i % 3 == 1:
            value = f"tok-{value[:16]}-{value[16:]}"
        out[f"EGRESS_TOKEN_S{i:02d}"] = value
    out["EGRESS_TOKEN_CANARY"] = "canary-" + _hexs(seed + "canary", 32)
    return out


def llm_request_body(target_bytes: int, seed: str = "llm") -> bytes:
    """A JSON chat-completions body of about ``target_bytes``: prose, code, hashes, UUIDs."""
    code = _code_samples()
    messages: list[dict[str, object]] = []
    size = 0
    i = 0
    while size < target_bytes:
        sha = _hexs(f"{seed}{i}", 64)
        uuid = f"{sha[:8]}-{sha[8:12]}-4{sha[13:16]}-a{sha[17:20]}-{sha[20:32]}"
        prose = (
            f"Turn {i}: the build at commit {sha[:40]} failed. Request id {uuid}; "
            f"sha256 of the artifact is {sha}, md5 {sha[:32]}. Here is the module — please "
            "review it and explain the “edge cases”, café naïve résumé.\n"
        )
        content = prose + "```python\n" + code[i % len(code)] + "\n```"
        messages.append({"role": "user", "content": content})
        messages.append({"role": "assistant", "content": "Sure. " + prose[::-1][:400]})
        size += len(content) + 420
        i += 1
    return json.dumps(
        {"model": "claude-sonnet-4", "max_tokens": 4096, "messages": messages}
    ).encode()


def negative_corpus() -> list[OutboundRequest]:
    """Realistic benign agent traffic that must raise zero findings with the default detectors.

    LLM conversations with code, commit ids, hashes and UUIDs; a base64 image; npm and pip
    installs with integrity hashes; a GitHub REST call; form and multipart bodies with CRLF.
    """
    image = base64.b64encode(b"\x89PNG\r\n\x1a\n" + _bytes("image", 30000)).decode()
    vision = json.dumps(
        {
            "model": "claude-sonnet-4",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image", "source": {"type": "base64", "data": image}},
                        {"type": "text", "text": "What is in this picture?"},
                    ],
                }
            ],
        }
    ).encode()
    lock = {
        "name": "app",
        "lockfileVersion": 3,
        "packages": {
            f"node_modules/pkg{i}": {
                "version": f"1.{i}.0",
                "resolved": f"https://registry.npmjs.org/pkg{i}/-/pkg{i}-1.{i}.0.tgz",
                "integrity": "sha512-"
                + base64.b64encode(bytes.fromhex(_hexs(f"npm{i}", 128))).decode(),
            }
            for i in range(200)
        },
    }
    pip_body = "\n".join(
        f"package{i}==1.0.{i} --hash=sha256:{_hexs(f'pip{i}', 64)}" for i in range(100)
    ).encode()
    form = (
        b"name=Jane%20Doe&comment=line1%0D%0Aline2%0D%0A&tags=a+b+c&csrf="
        + _hexs("csrf", 40).encode()
    )
    multipart = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="report.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\nid,sha\r\n1," + _hexs("csv", 40).encode() + b"\r\n"
        b'--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\nworld\r\n'
        b"--XyZ--\r\n"
    )
    browser = [
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0"),
        ("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
        ("Cookie", f"_ga=GA1.2.{_hexs('ga', 10)}; session={_hexs('sess', 32)}; theme=dark"),
        ("If-None-Match", f'W/"{_hexs("etag", 40)}"'),
        ("X-Request-Id", _hexs("rid", 8) + "-" + _hexs("rid2", 4) + "-4abc-8def-" + _hexs("r", 12)),
    ]
    json_headers = [("Content-Type", "application/json"), ("anthropic-version", "2023-06-01")]
    return [
        make_request("/v1/messages", json_headers, llm_request_body(200_000)),
        make_request("/v1/messages", json_headers, vision),
        make_request("/-/npm/v1/security/audits", json_headers, json.dumps(lock).encode()),
        make_request("/simple/upload", [("Content-Type", "text/plain")], pip_body),
        make_request(
            f"/repos/octo/app/commits/{_hexs('commit', 40)}?per_page=100&page=2",
            [("Accept", "application/vnd.github+json"), *browser],
            b"",
            method="GET",
            host="api.github.com",
        ),
        make_request("/submit", [("Content-Type", "application/x-www-form-urlencoded")], form),
        make_request("/upload", [("Content-Type", "multipart/form-data; boundary=XyZ")], multipart),
        make_request("/search?q=caf%C3%A9+na%C3%AFve&lang=fr&utm_source=x", browser, method="GET"),
    ]
