"""The escape suite's logging DNS resolver: answers every name, logs every query name.

Only the egress container is pointed at it (compose ``dns:`` on the egress service), so a
name that reaches this log went out through the proxy's resolver, which is exactly the
DNS exfiltration channel the suite watches. Every A query is answered with the sink's
address (``--answer``), except names given with ``--map NAME=IP`` (used for the DNS
rebinding cases); other types get an empty NOERROR answer. UDP and TCP on port 53.

It also runs raw TCP listeners on 80 and 443, so that a connection made to this
container's own address (the rebinding target) is logged too.
"""

from __future__ import annotations

import argparse
import socket
import struct
import threading
from pathlib import Path

from tcplog import JsonLog, serve_raw_tcp

QTYPES = {
    1: "A",
    2: "NS",
    5: "CNAME",
    10: "NULL",
    12: "PTR",
    15: "MX",
    16: "TXT",
    28: "AAAA",
    33: "SRV",
    255: "ANY",
}


def parse_question(packet: bytes) -> tuple[str, int, int]:
    """(name, qtype, offset after the question) of the first question in ``packet``."""
    labels: list[str] = []
    pos = 12
    while True:
        length = packet[pos]
        if length == 0:
            pos += 1
            break
        if length & 0xC0:
            raise ValueError("compressed name in a question")
        labels.append(packet[pos + 1 : pos + 1 + length].decode("latin-1"))
        pos += 1 + length
    qtype = struct.unpack("!H", packet[pos : pos + 2])[0]
    return ".".join(labels), qtype, pos + 4


def answer(packet: bytes, address: str | None) -> bytes:
    """A response to ``packet``: one A record with ``address``, or no records."""
    _, _, end = parse_question(packet)
    flags = 0x8180 | (packet[2] & 0x01) << 8
    count = 1 if address else 0
    header = packet[:2] + struct.pack("!HHHHH", flags, 1, count, 0, 0)
    body = packet[12:end]
    if address:
        body += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(address)
    return header + body


class Resolver:
    def __init__(self, log: JsonLog, default: str, table: dict[str, str]) -> None:
        self.log = log
        self.default = default
        self.table = table

    def reply(self, packet: bytes, transport: str, peer: str) -> bytes | None:
        try:
            name, qtype, _ = parse_question(packet)
        except (IndexError, ValueError, struct.error) as exc:
            self.log.write(
                "dns-bad",
                transport=transport,
                peer=peer,
                error=repr(exc),
                data=packet.decode("latin-1"),
            )
            return None
        self.log.write(
            "dns", name=name, qtype=QTYPES.get(qtype, str(qtype)), transport=transport, peer=peer
        )
        address = self.table.get(name.lower().rstrip("."), self.default) if qtype == 1 else None
        return answer(packet, address)

    def serve_udp(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("0.0.0.0", 53))
        while True:
            packet, peer = sock.recvfrom(4096)
            response = self.reply(packet, "udp", peer[0])
            if response is not None:
                sock.sendto(response, peer)

    def serve_tcp(self) -> None:
        server = socket.create_server(("0.0.0.0", 53))

        def handle(conn: socket.socket, peer: str) -> None:
            with conn:
                conn.settimeout(5)
                try:
                    while (head := conn.recv(2)) and len(head) == 2:
                        (length,) = struct.unpack("!H", head)
                        packet = b""
                        while len(packet) < length and (chunk := conn.recv(length - len(packet))):
                            packet += chunk
                        response = self.reply(packet, "tcp", peer)
                        if response is None:
                            return
                        conn.sendall(struct.pack("!H", len(response)) + response)
                except OSError:
                    return

        while True:
            conn, peer = server.accept()
            threading.Thread(target=handle, args=(conn, peer[0]), daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--log", type=Path, default=Path("/log/dns.jsonl"))
    parser.add_argument("--answer", required=True, help="address every A query gets")
    parser.add_argument("--map", action="append", default=[], metavar="NAME=IP")
    args = parser.parse_args()
    log = JsonLog(args.log)
    table = {k.lower(): v for k, v in (item.split("=", 1) for item in args.map)}
    resolver = Resolver(log, args.answer, table)
    for port in (80, 443):
        serve_raw_tcp(log, port)
    threading.Thread(target=resolver.serve_tcp, daemon=True).start()
    log.write("ready", answer=args.answer, table=table)
    resolver.serve_udp()


if __name__ == "__main__":
    main()
