"""Encoded request bodies for the content-encoding and decompression-bomb cases.

Run inside the observer image (it has brotli and zstandard); prints JSON
``{"encoded": {name: [content-encoding, base64 body]}, "bomb": base64}``.
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
import zlib

import brotli  # type: ignore[import-not-found]
import zstandard  # type: ignore[import-not-found]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def main() -> None:
    secret, bomb_secret = sys.argv[1].encode(), sys.argv[2].encode()
    body = b"data=" + secret
    encoded = {
        "gzip": ["gzip", gzip.compress(body)],
        "deflate": ["deflate", zlib.compress(body)],
        "br": ["br", brotli.compress(body)],
        "zstd": ["zstd", zstandard.ZstdCompressor().compress(body)],
        "gzip_gzip": ["gzip, gzip", gzip.compress(gzip.compress(body))],
        "x_gzip": ["x-gzip", gzip.compress(body)],
        "identity_gzip": ["identity, gzip", gzip.compress(body)],
        "bogus_token": ["bogus", body],
        "gzip_labelled_br": ["br", gzip.compress(body)],
    }
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [squeeze.compress(b"data=" + bomb_secret + b"&pad=")]
    block = b"\0" * (1 << 20)
    for _ in range(512):  # 512 MiB of zeros after the secret
        parts.append(squeeze.compress(block))
    parts.append(squeeze.flush())
    print(
        json.dumps(
            {
                "encoded": {k: [e, b64(v)] for k, (e, v) in encoded.items()},
                "bomb": b64(b"".join(parts)),
            }
        )
    )


if __name__ == "__main__":
    main()
