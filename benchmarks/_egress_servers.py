"""Processes for ``bench_egress``: a loopback origin, plain mitmproxy, or mitmproxy + our addon.

``python -m benchmarks._egress_servers origin PORT``
``python -m benchmarks._egress_servers plain PORT CONFDIR``
``python -m benchmarks._egress_servers addon PORT CONFDIR ORIGIN_PORT WORKDIR``

Both proxies get the same safe options (`bb_egress.safe_options.SAFE_OPTIONS`); the only
difference is the addon. The addon proxy maps ``origin.test`` to 127.0.0.1 with a static
resolver and opens 127.0.0.1/32 as a test-only destination, exactly like
``bb-egress run --resolve --allow-destination``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import sys
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bb_egress.safe_options import SAFE_OPTIONS

SAFE = {
    **{k: v for k, v in SAFE_OPTIONS.items() if k != "termlog_verbosity"},
    "body_size_limit": "32m",
}
"""What `bb-egress run` sets; without ``termlog_verbosity``, which exists only with the
terminal log (these proxies have it only under ``BB_BENCH_DEBUG``, set below)."""


def serve_origin(port: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between header and body

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def _scanner():
    """The real DLP-backed scanner, as `bb-egress run` builds it."""
    from bb_dlp import DlpConfig
    from bb_egress.outbound import OutboundScanner
    from bb_egress.token_approval import DisabledChannel, TokenApprover

    return OutboundScanner(
        DlpConfig.from_environ(os.environ), TokenApprover(DisabledChannel(), 1.0), os.environ
    )


async def serve_proxy(mode: str, port: int, confdir: str, origin_port: int, workdir: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from mitmproxy import options
        from mitmproxy.tools.dump import DumpMaster
    opts = options.Options(listen_host="127.0.0.1", listen_port=port)
    master = DumpMaster(
        opts, with_termlog=bool(os.environ.get("BB_BENCH_DEBUG")), with_dumper=False
    )
    if mode == "addon":
        from bb_egress.addons import egress_addons
        from bb_egress.addons.chain import EgressChain
        from bb_egress.audit import AuditLog
        from bb_egress.destinations import DestinationPolicy, static_resolver
        from bb_egress.reload import RoutesStore

        routes = workdir / "routes.yaml"
        routes.write_text(
            f"routes:\n  - host: origin.test\n    scheme: http\n    port: {origin_port}\n"
            "    outbound_on_match: block\n"
        )
        scanner = _scanner()
        (workdir / "scanner.txt").write_text("dlp")
        master.addons.add(
            EgressChain(
                egress_addons(
                    store=RoutesStore(routes),
                    scanner=scanner,
                    audit=AuditLog(workdir / "audit.jsonl"),
                    bottle="bench",
                    destinations=DestinationPolicy(
                        extra_allowed=(ipaddress.ip_network("127.0.0.1/32"),)
                    ),
                    resolver=static_resolver({"origin.test": "127.0.0.1"}),
                )
            )
        )
    debug = (
        {"termlog_verbosity": SAFE_OPTIONS["termlog_verbosity"]}
        if os.environ.get("BB_BENCH_DEBUG")
        else {}
    )
    opts.update(confdir=confdir, **SAFE, **debug)
    await master.run()


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "origin":
        serve_origin(int(sys.argv[2]))
    else:
        origin_port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
        workdir = Path(sys.argv[5]) if len(sys.argv) > 5 else Path(".")
        asyncio.run(serve_proxy(what, int(sys.argv[2]), sys.argv[3], origin_port, workdir))
