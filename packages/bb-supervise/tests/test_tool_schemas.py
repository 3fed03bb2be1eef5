"""Each tool's input schema is our contract with the agent: pinned by a snapshot.

Regenerate deliberately (and review the diff) with
``BB_UPDATE_SNAPSHOTS=1 uv run pytest packages/bb-supervise/tests/test_tool_schemas.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mcp import Client

from bb_protocol.tools import TOOL_ARGUMENTS, TOOL_EGRESS_ALLOW
from bb_supervise.descriptions import EGRESS_ALLOW
from bb_supervise.server import make_server

pytestmark = pytest.mark.anyio

SNAPSHOT = Path(__file__).parent / "snapshots" / "tool_input_schemas.json"


async def test_tool_input_schemas_match_the_snapshot(config):
    """Any change to a tool's arguments shows up as a reviewed snapshot diff."""
    async with Client(make_server(config)) as client:
        tools = (await client.list_tools()).tools
    current = {t.name: t.input_schema for t in sorted(tools, key=lambda t: t.name)}
    if os.environ.get("BB_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert current == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


@pytest.mark.parametrize("key", sorted(TOOL_ARGUMENTS[TOOL_EGRESS_ALLOW] - {"justification"}))
def test_the_egress_allow_description_documents_every_route_key_the_agent_may_propose(key):
    """An agent can round-trip list-egress-routes -> egress-allow from the description alone."""
    assert key in EGRESS_ALLOW
