"""Issue 14's D66-D68 requests given to the DLP engine directly (no bottle): prints, per
attempt, whether the engine finds the secret. Run it on this tree and on an older checkout of
``packages/bb-dlp/src`` to show a case fails on the old code:

    uv run python tests/e2e/escape/escape_harness/known_secret_engine_check.py
    PYTHONPATH=<old checkout>/packages/bb-dlp/src uv run python <same path>
"""

from __future__ import annotations

import base64
import codecs
import gzip
import os
import quopri
import secrets

import bb_dlp
from bb_dlp import DlpConfig, scan_outbound
from bb_dlp.testing import make_request

s = "ghp_" + secrets.token_hex(18)
cfg = DlpConfig.from_environ({"EGRESS_TOKEN_ESC_X": s})
sb = s.encode()
blob = os.urandom(41) + sb + os.urandom(40)
b64 = base64.b64encode(blob).decode()
hx = blob.hex()
variants = {
    "base64_wrapped_76": "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76)).encode(),
    "hex_xxd_p": "\n".join(hx[i : i + 60] for i in range(0, len(hx), 60)).encode(),
    "hex_colons": ":".join(f"{x:02X}" for x in blob).encode(),
    "quoted_printable": quopri.encodestring(b"x" * 64 + sb + b"\n"),
    "html_entities": "".join(f"&#{x};" for x in sb).encode(),
    "ascii85": base64.a85encode(blob),
    "gzip_no_header": gzip.compress(b"key=" + sb),
    "te_gzip_chunked": gzip.compress(b"key=" + sb),
    "reversed": (b"key=" + sb)[::-1],
    "base32": base64.b32encode(b"key=" + sb),
    "base64_of_base64": base64.b64encode(base64.b64encode(b"key=" + sb)),
    "hex_of_base64": base64.b64encode(b"key=" + sb).hex().encode(),
    "rot13": codecs.encode("key=" + s, "rot13").encode(),
}
res = {
    k: bool(
        scan_outbound(
            make_request(
                "/enc/x",
                [("Transfer-Encoding", "gzip, chunked")] if k == "te_gzip_chunked" else [],
                v,
            ),
            cfg,
        ).findings
    )
    for k, v in variants.items()
}
res["D66 query+header+body"] = bool(
    scan_outbound(
        make_request(f"/split?cursor={s[:14]}", [("X-Trace", s[14:28])], f"tail={s[28:]}".encode()),
        cfg,
    ).findings
)
res["D66 headers+body"] = bool(
    scan_outbound(
        make_request("/split2", [("X-A", s[:13]), ("X-B", s[13:26])], f"pw={s[26:]}".encode()), cfg
    ).findings
)
up = s.upper()
r = scan_outbound(make_request(f"/q?sig={up}", [], f'{{"sig":"{up}"}}'.encode()), cfg)
res["D67 upper found+redactable"] = bool(r.findings) and all(f.redactable for f in r.findings)
print(bb_dlp.__file__.split("/src/")[0])
for name, found in res.items():
    print(f"{name}: {'found' if found else 'MISSED'}")
