"""Specification of bb_egress.introspection: routes listed only with the host-only token."""

import asyncio
import json
from pathlib import Path

import pytest

from bb_egress.introspection import IntrospectionServer, respond
from bb_egress.reload import RoutesStore
from bb_protocol.routes import parse_routes


def _store(tmp_path: Path) -> RoutesStore:
    path = tmp_path / "routes.yaml"
    path.write_text("routes:\n  - host: API.github.com\n    outbound_on_match: block\n")
    return RoutesStore(path)


def _split(raw: bytes) -> tuple[str, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.decode().split("\r\n")[0], body


def test_routes_are_listed_in_the_routes_file_schema_with_the_token(tmp_path: Path) -> None:
    """The body parses back as a routes file equal to the one in force."""
    store = _store(tmp_path)
    status, body = _split(
        respond(store, "t0k", b"GET /routes HTTP/1.1\r\nAuthorization: Bearer t0k")
    )
    assert status == "HTTP/1.1 200 OK"
    assert parse_routes(body.decode()) == store.routes


def test_routes_need_the_token_and_no_token_configured_means_refused(tmp_path: Path) -> None:
    """A wrong, missing or unconfigured token gets 401."""
    store = _store(tmp_path)
    assert _split(respond(store, "t0k", b"GET /routes HTTP/1.1\r\nAuthorization: Bearer no"))[
        0
    ].endswith("401 Unauthorized")
    assert _split(respond(store, "t0k", b"GET /routes HTTP/1.1"))[0].endswith("401 Unauthorized")
    assert _split(respond(store, None, b"GET /routes HTTP/1.1\r\nAuthorization: Bearer "))[
        0
    ].endswith("401 Unauthorized")


def test_healthz_reports_the_generation_without_a_token(tmp_path: Path) -> None:
    """Health needs no token and shows no routes and no error text."""
    status, body = _split(respond(_store(tmp_path), "t", b"GET /healthz HTTP/1.1"))
    assert status.endswith("200 OK")
    assert json.loads(body) == {
        "ok": True,
        "generation": 1,
        "routes": 1,
        "routes_file_rejected": False,
    }


def test_healthz_shows_the_rejection_message_only_to_the_token_holder(tmp_path: Path) -> None:
    """A rejected routes file is flagged to all, explained (host names) only with the token."""
    store = _store(tmp_path)
    store.path.write_text("routes: [{host: 10.0.0.1}]")  # type: ignore[union-attr]
    assert not store.reload()
    anonymous = json.loads(_split(respond(store, "t", b"GET /healthz HTTP/1.1"))[1])
    assert anonymous["routes_file_rejected"] is True
    assert "last_error" not in anonymous
    head = b"GET /healthz HTTP/1.1\r\nAuthorization: Bearer t"
    authorised = json.loads(_split(respond(store, "t", head))[1])
    assert "IP literal" in authorised["last_error"]


def test_other_methods_and_paths_are_refused(tmp_path: Path) -> None:
    """Only GET of the two documented paths answers."""
    store = _store(tmp_path)
    assert _split(respond(store, "t", b"POST /routes HTTP/1.1"))[0].endswith(
        "405 Method Not Allowed"
    )
    assert _split(respond(store, "t", b"GET /x HTTP/1.1"))[0].endswith("404 Not Found")
    assert _split(respond(store, "t", b"garbage"))[0].endswith("400 Bad Request")


@pytest.mark.anyio
async def test_the_server_answers_over_a_real_socket(tmp_path: Path) -> None:
    """Bound on loopback, /routes with the token returns the routes YAML."""
    server = IntrospectionServer(_store(tmp_path), "t0k", "127.0.0.1", 0)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /routes HTTP/1.1\r\nAuthorization: Bearer t0k\r\n\r\n")
        await writer.drain()
        async with asyncio.timeout(10):
            raw = await reader.read()
        writer.close()
        await writer.wait_closed()
    finally:
        await server.close()
    status, body = _split(raw)
    assert status.endswith("200 OK")
    assert "api.github.com" in body.decode()
