"""Each tool's arguments live once: the typed signature, checked against `bb_protocol.tools`."""

from __future__ import annotations

import pytest
from mcp import Client

from bb_protocol.tools import AGENT_CALLABLE_TOOLS, TOOL_ARGUMENTS
from bb_supervise import server as server_module
from bb_supervise.server import argument_names, make_server

pytestmark = pytest.mark.anyio


async def test_each_tools_input_schema_has_exactly_the_contracts_arguments(config):
    """What the agent sees in tools/list is the table in bb_protocol.tools, tool by tool."""
    async with Client(make_server(config)) as client:
        tools = (await client.list_tools()).tools
    schemas = {t.name: frozenset(t.input_schema.get("properties", {})) for t in tools}
    assert schemas == TOOL_ARGUMENTS


@pytest.mark.parametrize("name", sorted(TOOL_ARGUMENTS))
async def test_the_strict_allowlist_names_exactly_the_contracts_arguments(config, name):
    """An undeclared argument is refused with the list the signatures derive, which is the
    contract's (the allowlist is never kept by hand)."""
    async with Client(make_server(config)) as client:
        result = await client.call_tool(name, {"status": "approved"})
    assert result.is_error
    accepted = ", ".join(sorted(TOOL_ARGUMENTS[name])) or "none"
    assert result.content[0].text.endswith(f"this tool accepts: {accepted}")


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("egress-allow", server_module.egress_allow),
        ("egress-block", server_module.egress_block),
        ("capability-block", server_module.capability_block),
        ("list-egress-routes", server_module.list_egress_routes),
    ],
)
def test_argument_names_leave_out_the_context(name, function):
    """The request context is the SDK's, never an argument the agent may pass."""
    assert "ctx" not in argument_names(function)
    assert argument_names(function) == TOOL_ARGUMENTS[name]


def test_the_agent_callable_tools_are_the_keys_of_the_argument_table():
    """One list of tools: the argument table's."""
    assert frozenset(TOOL_ARGUMENTS) == AGENT_CALLABLE_TOOLS
