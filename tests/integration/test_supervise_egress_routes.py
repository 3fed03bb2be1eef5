"""``list-egress-routes`` reading the routes in force from the real egress introspection
endpoint (``bb_egress.introspection``) on loopback, with its bearer token."""

from __future__ import annotations

import pytest
from mcp import Client

from bb_egress.introspection import IntrospectionServer
from bb_egress.reload import RoutesStore
from bb_protocol.queue import ApprovalKey
from bb_supervise.config import SuperviseConfig
from bb_supervise.routes_source import AdminEndpointRoutes
from bb_supervise.server import make_server

pytestmark = pytest.mark.anyio

TOKEN = "t0ken-for-tests"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def endpoint(tmp_path):
    routes = tmp_path / "routes.yaml"
    routes.write_text(
        "version: 1\nroutes:\n  - host: pypi.org\n    paths: [/simple/]\n", encoding="utf-8"
    )
    server = IntrospectionServer(RoutesStore(routes), TOKEN, "127.0.0.1", 0)
    await server.start()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


@pytest.fixture
def config(tmp_path) -> SuperviseConfig:
    ApprovalKey.create_file(tmp_path / "approval.key")
    return SuperviseConfig(
        bottle="demo", queue_dir=tmp_path / "q", key_file=tmp_path / "approval.key"
    )


async def test_the_agent_lists_the_routes_the_proxy_enforces(config, endpoint):
    """The routes come from the proxy's endpoint, in the routes-file schema."""
    server = make_server(config, routes=AdminEndpointRoutes(endpoint, TOKEN))
    async with Client(server) as client:
        result = await client.call_tool("list-egress-routes", {})
    assert not result.is_error
    assert "host: pypi.org" in result.content[0].text
    assert "/simple/" in result.content[0].text


async def test_a_wrong_token_is_a_clear_tool_error(config, endpoint):
    """Supervise says the routes are unavailable rather than inventing any."""
    server = make_server(config, routes=AdminEndpointRoutes(endpoint, "wrong"))
    async with Client(server) as client:
        result = await client.call_tool("list-egress-routes", {})
    assert result.is_error
    assert "routes unavailable" in result.content[0].text
    assert "401" in result.content[0].text
