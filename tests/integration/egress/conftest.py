"""A real mitmproxy with the egress addon on loopback, and a real origin server beside it.

The proxy runs in-process (DumpMaster on its own event loop in a thread) with the same
safe options `bb-egress run` sets. Origins live on 127.0.0.1, which the proxy normally
refuses to dial: the tests map names to loopback with a static resolver and open exactly
127.0.0.1/32 as a test-only destination, as ``bb-egress run --resolve --allow-destination``
does.
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import mitmproxy.addons  # noqa: F401
    from mitmproxy import options
    from mitmproxy.tools.dump import DumpMaster

from bb_egress.addons import egress_addons
from bb_egress.addons.chain import EgressChain
from bb_egress.audit import AuditLog
from bb_egress.destinations import DestinationPolicy, static_resolver
from bb_egress.policy import Denied
from bb_egress.reload import RoutesStore
from bb_egress.safe_options import SAFE_OPTIONS
from bb_protocol.routes import Route

SAFE = {
    **{k: v for k, v in SAFE_OPTIONS.items() if k != "termlog_verbosity"},
    "body_size_limit": "8m",
}
"""The options `bb-egress run` sets (one definition: `bb_egress.safe_options`), smaller bodies;
without ``termlog_verbosity``, which exists only with the terminal log this proxy leaves out."""


LARGE = 3 * 1024 * 1024
"""Size of the origin's /large response: larger than the proxy's request limit (1 MiB)."""


@dataclass
class Origin:
    """A loopback HTTP origin recording every request it receives."""

    port: int
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def origin() -> Iterator[Origin]:
    """Answers 200 ``hello``; ``/redirect`` sends a 302 to a host no route allows."""
    record = Origin(port=0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("content-length", "0") or 0)
            self.rfile.read(length)
            record.seen.append((self.command, self.path, dict(self.headers.items())))
            if self.path.startswith("/large"):
                self.send_response(200)
                self.send_header("Content-Length", str(LARGE))
                self.end_headers()
                for _ in range(LARGE // 65536):
                    self.wfile.write(b"x" * 65536)
                return
            if self.path.startswith("/echo"):
                echoed = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode()
                self.send_response(200)
                self.send_header("X-Echo-Authorization", self.headers.get("Authorization", ""))
                self.send_header("Content-Length", str(len(echoed)))
                self.end_headers()
                self.wfile.write(echoed)
                return
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", "http://denied.test/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        do_GET = do_POST = _answer  # noqa: N815 - http.server dispatches on these names

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield record
    server.shutdown()
    server.server_close()


class CleanScanner:
    """Stand-in for the DLP side: every request is clean (these tests specify routing)."""

    async def process(self, flow: object, route: Route, bottle: str) -> str | Denied:
        return "allow"

    async def scan_websocket(self, flow: object, content: bytes, is_text: bool) -> Denied | None:
        return None

    def last_detectors(self, flow: object) -> tuple[str, ...]:
        return ()

    def text_detectors(self, text: str) -> tuple[str, ...]:
        return ()


def _wait_listening(port: int) -> None:
    """Block until something accepts on ``port`` (bounded: 20 s)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@dataclass
class Proxy:
    """A running egress proxy and where its files are."""

    port: int
    confdir: Path
    routes_file: Path
    audit_file: Path
    store: RoutesStore


@dataclass
class TlsOrigin:
    """A loopback HTTPS origin (HTTP/1.1) with a certificate for ``origin.test``."""

    port: int
    ca_file: Path
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def tls_origin(tmp_path: Path) -> Iterator[TlsOrigin]:
    """Answers 200 ``secure`` over TLS; its CA is trusted by the proxy for upstream TLS."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from mitmproxy.certs import CertStore

    store = CertStore.from_store(tmp_path / "origin-ca", "origin", 2048)
    entry = store.get_cert("origin.test", [x509.DNSName("origin.test")])
    cert_file = tmp_path / "origin-cert.pem"
    cert_file.write_bytes(
        entry.cert.to_pem()
        + entry.privatekey.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    record = TlsOrigin(port=0, ca_file=tmp_path / "origin-ca" / "origin-ca-cert.pem")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("content-length", "0") or 0)
            self.rfile.read(length)
            record.seen.append((self.command, self.path, dict(self.headers.items())))
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secure")

        do_GET = do_POST = _answer  # noqa: N815 - http.server dispatches on these names

        def log_message(self, format: str, *args: object) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file)
    context.set_alpn_protocols(["http/1.1"])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    record.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield record
    server.shutdown()
    server.server_close()


def real_scanner(env: dict[str, str]) -> object:
    """The real DLP engine and credential injection as the proxy runs them, knowing ``env``'s
    ``EGRESS_TOKEN_*`` values (tests override the ``scanner`` fixture with it)."""
    from bb_dlp import DlpConfig
    from bb_egress.outbound import OutboundScanner
    from bb_egress.token_approval import DisabledChannel, TokenApprover

    return OutboundScanner(DlpConfig.from_environ(env), TokenApprover(DisabledChannel(), 1), env)


@pytest.fixture
def scanner() -> object:
    """The DLP side of the proxy; tests about detection override this with the real one."""
    return CleanScanner()


@pytest.fixture
def proxy(
    tmp_path: Path, origin: Origin, tls_origin: TlsOrigin, scanner: object
) -> Iterator[Proxy]:
    """The egress proxy on loopback; routes allow http://origin.test:<origin port>/."""
    routes_file = tmp_path / "routes" / "routes.yaml"
    routes_file.parent.mkdir()
    routes_file.write_text(
        f"routes:\n  - host: origin.test\n    scheme: http\n    port: {origin.port}\n"
        f"  - host: origin.test\n    port: {tls_origin.port}\n"
    )
    audit_file = tmp_path / "audit.jsonl"
    store = RoutesStore(routes_file)
    port = _free_port()
    audit = AuditLog(audit_file)
    addons = egress_addons(
        store=store,
        scanner=scanner,  # type: ignore[arg-type]
        audit=audit,
        bottle="itest",
        destinations=DestinationPolicy(extra_allowed=(ipaddress.ip_network("127.0.0.1/32"),)),
        request_size_limit=1024 * 1024,
        resolver=static_resolver(
            {"origin.test": "127.0.0.1", "private.test": "10.0.0.1", "denied.test": "127.0.0.1"}
        ),
    )
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, DumpMaster] = {}

    async def run() -> None:
        opts = options.Options(listen_host="127.0.0.1", listen_port=port)
        master = DumpMaster(opts, with_termlog=False, with_dumper=False)
        master.addons.add(EgressChain(addons))  # as bb-egress run registers them
        opts.update(
            confdir=str(tmp_path / "confdir"),
            ssl_verify_upstream_trusted_ca=str(tls_origin.ca_file),
            **SAFE,
        )
        holder["master"] = master
        started.set()
        await master.run()

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    assert started.wait(20), "proxy did not start"
    _wait_listening(port)
    yield Proxy(
        port=port,
        confdir=tmp_path / "confdir",
        routes_file=routes_file,
        audit_file=audit_file,
        store=store,
    )
    loop.call_soon_threadsafe(holder["master"].shutdown)
    thread.join(20)
    loop.close()
    audit.close()
    # mitmproxy's shutdown leaves its listening sockets to the garbage collector; collect
    # them here, where their ResourceWarning is expected, not in a later test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
