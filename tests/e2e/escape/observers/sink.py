"""The escape suite's "internet": one origin that answers HTTP and HTTPS for every name.

The logging resolver answers every name with this container's address, so whatever the
egress proxy lets out lands here. The sink:

* makes its own test CA at start (written to ``--ca-out`` for the proxy's upstream
  verification) and signs a leaf certificate for whatever SNI a client sends;
* serves HTTP on 80, and on 443/8443 HTTPS, or plain bytes when the client does not start
  with a TLS handshake (a tunnel relaying raw bytes is then caught too);
* logs every request line, header, body (raw and content-decoded) and trailer, and every
  byte sent to its raw TCP listeners (22, 25, 853, 6667);
* answers ``/redirect?to=URL`` with a 302, everything else with a small JSON echo signed
  ``bb-escape-sink`` so that legit cases can check they got the real origin's content.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import hashlib
import json
import socket
import ssl
import threading
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import brotli  # type: ignore[import-not-found]
import zstandard  # type: ignore[import-not-found]
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tcplog import JsonLog, serve_raw_tcp, text

SIGNATURE = "bb-escape-sink"
_HANDSHAKE = threading.local()
"""The SNI the client sent, recorded by the SNI callback in the handshaking thread."""
MAX_BODY = 64 << 20


class TestCA:
    """A throwaway CA; signs one leaf per server name on demand."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bb escape suite test CA")])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), False)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()
        self._dir = Path("/tmp/sink-certs")
        self._dir.mkdir(exist_ok=True)

    def server_context(self) -> ssl.SSLContext:
        """The context every TLS connection starts with; it switches on the client's SNI."""
        base = self.context_for("sink")

        def pick(obj: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
            _HANDSHAKE.sni = name or ""  # the handshake runs in the connection's own thread
            if name:
                obj.context = self.context_for(name)

        base.sni_callback = pick  # type: ignore[assignment]
        return base

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def context_for(self, server_name: str) -> ssl.SSLContext:
        with self._lock:
            if server_name not in self._contexts:
                self._contexts[server_name] = self._make(server_name)
            return self._contexts[server_name]

    def _make(self, server_name: str) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name[:64])]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name)]), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .sign(self.key, hashes.SHA256())
        )
        safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in server_name)[:100]
        cert_file = self._dir / f"{safe}.pem"
        key_file = self._dir / f"{safe}.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + self.pem())
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_file, key_file)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx


DECODED_LIMIT = 1 << 20
"""Bytes of decoded body kept (a decompression bomb must not fill the sink's log)."""


def _clip(data: bytes) -> str:
    """A long body as its head and tail, so a marker at either end is still logged."""
    if len(data) <= DECODED_LIMIT:
        return text(data)
    half = DECODED_LIMIT // 2
    return text(data[:half]) + f"...[{len(data)} bytes]..." + text(data[-half:])


def _inflate(data: bytes, wbits: int) -> bytes:
    return zlib.decompressobj(wbits).decompress(data, DECODED_LIMIT)


def decode_body(body: bytes, encoding: str) -> str:
    """Undo every Content-Encoding we know, last applied first; on failure say so."""
    data = body
    for token in reversed([t.strip().lower() for t in encoding.split(",") if t.strip()]):
        try:
            if token in ("gzip", "x-gzip"):
                data = _inflate(data, 47)
            elif token == "deflate":
                try:
                    data = _inflate(data, 15)
                except zlib.error:
                    data = _inflate(data, -15)
            elif token == "br":
                data = brotli.decompress(data)[:DECODED_LIMIT]
            elif token == "zstd":
                data = zstandard.ZstdDecompressor().decompressobj().decompress(data)[:DECODED_LIMIT]
            elif token == "identity":
                continue
            else:
                return f"[unknown encoding {token}] " + sniff(data)
        except Exception as exc:
            return f"[{token} failed: {exc}] " + sniff(data)
    return _clip(data)


def sniff(data: bytes) -> str:
    """Whatever compression the bytes really carry, undone (mislabelled bodies leak too)."""
    for _ in range(4):
        try:
            if data[:2] == b"\x1f\x8b":
                data = _inflate(data, 47)
            elif data[:4] == b"\x28\xb5\x2f\xfd":
                data = zstandard.ZstdDecompressor().decompressobj().decompress(data)[:DECODED_LIMIT]
            elif data[:1] == b"\x78":
                data = _inflate(data, 15)
            else:
                try:
                    data = brotli.decompress(data)[:DECODED_LIMIT]
                except Exception:
                    break
        except Exception:
            break
    return _clip(data)


class Conn:
    """A buffered reader over a socket (plain or TLS)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read_until(self, sep: bytes, limit: int = 1 << 20) -> bytes | None:
        while sep not in self.buf:
            if len(self.buf) > limit or not self._fill():
                return None
        head, self.buf = self.buf.split(sep, 1)
        return head

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                break
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def read_request(conn: Conn) -> dict[str, object] | None:
    head = conn.read_until(b"\r\n\r\n")
    if head is None:
        return {"incomplete": text(conn.buf)} if conn.buf else None
    lines = head.split(b"\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.append((text(name).strip(), text(value).strip()))
    lower = {k.lower(): v for k, v in headers}
    body = b""
    trailers: list[tuple[str, str]] = []
    if "chunked" in lower.get("transfer-encoding", "").lower():
        while len(body) <= MAX_BODY:
            size_line = conn.read_until(b"\r\n")
            if size_line is None:
                break
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while (trailer := conn.read_until(b"\r\n")) not in (None, b""):
                    name, _, value = trailer.partition(b":")
                    trailers.append((text(name).strip(), text(value).strip()))
                break
            body += conn.read_exact(size)
            conn.read_exact(2)
    elif "content-length" in lower:
        body = conn.read_exact(min(int(lower["content-length"]), MAX_BODY))
    return {
        "request_line": text(lines[0]),
        "headers": headers,
        "body": _clip(body),
        "decoded": decode_body(body, lower.get("content-encoding", "")),
        "trailers": trailers,
    }


def respond(sock: socket.socket, request: dict[str, object]) -> None:
    line = str(request.get("request_line", ""))
    parts = line.split(" ")
    target = parts[1] if len(parts) > 1 else "/"
    split = urlsplit(target)
    query = parse_qs(split.query)
    host = {k.lower(): v for k, v in request.get("headers", [])}  # type: ignore[misc]
    if split.path == "/redirect" and ("to" in query or "a" in query):
        if "to" in query:
            location = query["to"][0]
        else:  # built here so that the joined marker is never in a request the sink saw
            joined = query["a"][0] + query.get("b", [""])[0]
            location = f"{query.get('s', ['https'])[0]}://{joined}.evil.test/{joined}"
        status, extra, payload = "302 Found", f"Location: {location}\r\n", b""
    else:
        status, extra = "200 OK", "Content-Type: application/json\r\n"
        payload = json.dumps(
            {
                "sink": SIGNATURE,
                "host": host.get("host", ""),
                "path": target,
                "body": str(request.get("decoded", ""))[:200],
            }
        ).encode()
    sock.sendall(
        f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(payload)}\r\n\r\n".encode() + payload
    )


def websocket(log: JsonLog, sock: socket.socket, conn: Conn, request: dict[str, object]) -> None:
    """Accept a WebSocket upgrade and log every frame's opcode and unmasked payload."""
    headers = {k.lower(): v for k, v in request.get("headers", [])}  # type: ignore[attr-defined]
    accept = base64.b64encode(
        hashlib.sha1(
            (headers.get("sec-websocket-key", "") + "258EAFA5-E914-47DA-95CA-C5AB0DC11B65").encode()
        ).digest()
    ).decode()
    sock.sendall(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
    )
    message = b""
    while True:
        head = conn.read_exact(2)
        if len(head) < 2:
            return
        fin, opcode = head[0] >> 7, head[0] & 0x0F
        masked, length = head[1] >> 7, head[1] & 0x7F
        if length == 126:
            length = int.from_bytes(conn.read_exact(2), "big")
        elif length == 127:
            length = int.from_bytes(conn.read_exact(8), "big")
        mask = conn.read_exact(4) if masked else b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(conn.read_exact(length)))
        log.write("ws", opcode=opcode, fin=fin, payload=text(payload))
        if opcode < 0x8:  # data frames: log the reassembled message too (split secrets)
            message += payload
            if fin:
                log.write("ws-message", payload=text(message))
                message = b""
        if opcode == 0x8:
            sock.sendall(b"\x88\x00")
            return
        if opcode == 0x9:
            sock.sendall(bytes([0x8A, len(payload)]) + payload)


def handle(log: JsonLog, ca: TestCA, raw: socket.socket, peer: str, port: int, tls: bool) -> None:
    sock: socket.socket = raw
    sni: list[str] = []
    try:
        raw.settimeout(10)
        if tls:
            first = raw.recv(1, socket.MSG_PEEK)
            if first[:1] == b"\x16":
                _HANDSHAKE.sni = ""
                sock = ca.server_context().wrap_socket(raw, server_side=True)
                sni.append(_HANDSHAKE.sni)
        conn = Conn(sock)
        while True:
            request = read_request(conn)
            if request is None:
                break
            log.write("http", port=port, tls=sock is not raw, sni=sni[:1], peer=peer, **request)
            if "incomplete" in request:
                break
            if "websocket" in str(request.get("headers", "")).lower():
                websocket(log, sock, conn, request)
                break
            respond(sock, request)
    except Exception as exc:
        leftover = b""
        try:
            raw.settimeout(1)
            leftover = raw.recv(65536)
        except OSError:
            pass
        log.write("error", port=port, peer=peer, sni=sni[:1], error=repr(exc), data=text(leftover))
    finally:
        with contextlib.suppress(OSError):
            sock.close()


def serve_http(log: JsonLog, ca: TestCA, port: int, tls: bool) -> None:
    server = socket.create_server(("0.0.0.0", port))

    def loop() -> None:
        while True:
            conn, peer = server.accept()
            threading.Thread(
                target=handle, args=(log, ca, conn, peer[0], port, tls), daemon=True
            ).start()

    threading.Thread(target=loop, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--log", type=Path, default=Path("/log/sink.jsonl"))
    parser.add_argument("--ca-out", type=Path, default=Path("/testca/ca.pem"))
    args = parser.parse_args()
    log = JsonLog(args.log)
    ca = TestCA()
    args.ca_out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.ca_out.with_suffix(".tmp")
    tmp.write_bytes(ca.pem())
    tmp.chmod(0o644)
    tmp.replace(args.ca_out)
    serve_http(log, ca, 80, tls=False)
    for port in (443, 8443):
        serve_http(log, ca, port, tls=True)
    for port, banner in ((22, b"SSH-2.0-sink\r\n"), (25, b"220 sink\r\n"), (853, b""), (6667, b"")):
        serve_raw_tcp(log, port, banner)
    log.write("ready", ports=[80, 443, 8443, 22, 25, 853, 6667])
    threading.Event().wait()


if __name__ == "__main__":
    main()
