"""A tiny read-only HTTP endpoint listing the routes in force, for supervise and the host.

Why not a mitmproxy route: the agent talks to the proxy port, so anything served there is
reachable by the agent. This server listens on its own address (the egress network side,
given by the launcher) and every request but ``/healthz`` needs ``Authorization: Bearer
<token>`` with the host-only token; without a configured token only ``/healthz`` answers.
The agent cannot reach it through the proxy either: the proxy never dials its own or any
private address.

* ``GET /healthz``: ``{"ok": true, "generation": N, "routes": N, "routes_file_rejected": false}``
  (plus ``last_error``, the rejection message, for the token holder)
* ``GET /routes``: the routes in force, as YAML in the routes-file schema.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Final

from bb_egress.reload import RoutesStore
from bb_protocol.logging import get_logger
from bb_protocol.routes import dump_routes

__all__ = ["IntrospectionServer", "respond"]

_log = get_logger("bb-egress.introspection")
_MAX_HEAD: Final = 8192


def _response(status: str, body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def respond(store: RoutesStore, token: str | None, head: bytes) -> bytes:
    """The full HTTP response to the request ``head`` (request line and headers)."""
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        return _response("400 Bad Request", b"bad request\n", "text/plain")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if method != "GET":
        return _response("405 Method Not Allowed", b"GET only\n", "text/plain")
    given = headers.get("authorization", "")
    authorised = token is not None and hmac.compare_digest(
        given.encode(), f"Bearer {token}".encode()
    )
    if target == "/healthz":
        body: dict[str, object] = {
            "ok": True,
            "generation": store.generation,
            "routes": len(store.routes.routes),
            "routes_file_rejected": store.last_error is not None,
        }
        if authorised:  # the error text names hosts: only for the token holder
            body["last_error"] = store.last_error
        return _response("200 OK", json.dumps(body).encode(), "application/json")
    if target != "/routes":
        return _response("404 Not Found", b"not found\n", "text/plain")
    if not authorised:
        return _response("401 Unauthorized", b"a valid bearer token is required\n", "text/plain")
    return _response("200 OK", dump_routes(store.routes).encode(), "application/yaml")


class IntrospectionServer:
    """Serves `respond` on ``host:port`` until closed."""

    def __init__(self, store: RoutesStore, token: str | None, host: str, port: int) -> None:
        self.store = store
        self.token = token or None
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Bind and start serving."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        sockname = self._server.sockets[0].getsockname()
        self.port = int(sockname[1])
        _log.info("introspection listening", {"host": self.host, "port": self.port})

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > _MAX_HEAD:
                raise ValueError("head too large")
            writer.write(respond(self.store, self.token, head[:-4]))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
