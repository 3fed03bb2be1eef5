"""Shared pieces of the observers: a JSON-lines log and a catch-all raw TCP listener.

Every observer writes one JSON object per event to its log file; the suite's judge reads
the whole file and searches it for markers. Bytes are logged as latin-1 text so that a
marker anywhere in a payload appears verbatim in the log.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from pathlib import Path

__all__ = ["JsonLog", "serve_raw_tcp", "text"]

RAW_READ_LIMIT = 1 << 20
"""Bytes a raw listener keeps from one connection."""


def text(data: bytes) -> str:
    """Bytes as loggable text: latin-1 keeps every byte and every ASCII marker verbatim."""
    return data.decode("latin-1")


class JsonLog:
    """Appends JSON lines to a file, one lock for all threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, kind: str, **fields: object) -> None:
        """Record one event of ``kind`` with ``fields``."""
        line = json.dumps({"time": time.time(), "kind": kind, **fields}, ensure_ascii=True)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()


def _read_all(conn: socket.socket, limit: int = RAW_READ_LIMIT) -> bytes:
    conn.settimeout(5)
    chunks: list[bytes] = []
    size = 0
    try:
        while size < limit:
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:
        pass
    return b"".join(chunks)


def serve_raw_tcp(log: JsonLog, port: int, banner: bytes = b"") -> None:
    """Accept on ``port`` forever (in a daemon thread); log whatever each peer sends."""
    server = socket.create_server(("0.0.0.0", port), reuse_port=False)

    def handle(conn: socket.socket, peer: tuple[str, int]) -> None:
        with conn:
            if banner:
                with contextlib.suppress(OSError):
                    conn.sendall(banner)
            data = _read_all(conn)
            log.write("tcp", port=port, peer=peer[0], data=text(data))

    def loop() -> None:
        while True:
            conn, peer = server.accept()
            threading.Thread(target=handle, args=(conn, peer), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
