"""The supervise MCP server, driven in memory through the real SDK client."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from bb_protocol.queue import Approve, Modify, QueueStore, Reject
from bb_protocol.queue.auth import ApprovalKey
from bb_protocol.queue.models import EgressAllowRequest
from bb_protocol.routes import Route
from bb_protocol.testing import sample_request
from bb_protocol.tools import AGENT_CALLABLE_TOOLS
from bb_supervise.config import SuperviseConfig
from bb_supervise.server import make_server

pytestmark = pytest.mark.anyio


async def _decide_when_pending(store: QueueStore, key: ApprovalKey, decision: Any) -> str:
    """Play the operator: wait for one pending proposal and decide it."""
    with anyio.fail_after(5):
        while not (entries := store.pending()):
            await anyio.sleep(0.01)
    proposal = entries[0].proposal
    store.decide(proposal.id, decision, key, decided_by="op@host")
    return proposal.id


async def _call_and_decide(
    config: SuperviseConfig,
    store: QueueStore,
    key: ApprovalKey,
    tool: str,
    args: dict[str, Any],
    decision: Any,
) -> tuple[Any, str]:
    result: Any = None
    proposal_id = ""
    async with Client(make_server(config)) as client:

        async def call() -> None:
            nonlocal result
            result = await client.call_tool(tool, args)

        async def decide() -> None:
            nonlocal proposal_id
            proposal_id = await _decide_when_pending(store, key, decision)

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            tg.start_soon(decide)
    return result, proposal_id


async def test_the_server_exposes_exactly_the_agent_callable_tools(config):
    """Only egress-allow, egress-block, capability-block and list-egress-routes exist."""
    async with Client(make_server(config)) as client:
        tools = await client.list_tools()
    assert {t.name for t in tools.tools} == AGENT_CALLABLE_TOOLS


async def test_egress_allow_blocks_until_approved_and_returns_the_decision(config, store, key):
    """The call returns the operator's decision and reason, and the proposal is archived."""
    result, proposal_id = await _call_and_decide(
        config,
        store,
        key,
        "egress-allow",
        {"host": "PyPI.org", "justification": "install deps", "methods": ["GET"]},
        Approve(reason="fine"),
    )
    assert not result.is_error
    assert result.structured_content["decision"] == "approved"
    assert result.structured_content["reason"] == "fine"
    assert result.structured_content["applied"]["route"]["host"] == "pypi.org"
    record = store.archive_record(proposal_id)
    assert record is not None
    assert record.outcome == "approved"
    assert record.archived_by == "supervise"
    assert store.pending() == []


async def test_a_modified_decision_returns_the_operators_version(config, store, key):
    """What the agent hears is the route the operator approved, not the one it asked for."""
    narrowed = EgressAllowRequest(
        route=Route(host="pypi.org", methods=("GET",), paths=("/simple/",)), justification="x"
    )
    result, proposal_id = await _call_and_decide(
        config,
        store,
        key,
        "egress-allow",
        {"host": "pypi.org", "justification": "install deps"},
        Modify(reason="narrowed", request=narrowed),
    )
    assert result.structured_content["decision"] == "modified"
    assert result.structured_content["applied"]["route"]["paths"] == ["/simple/"]
    assert store.archive_record(proposal_id).outcome == "modified"


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("egress-block", {"host": "*.Example.com", "justification": "done with it"}),
        ("capability-block", {"capability": "need docker", "detail": "tests need it"}),
    ],
)
async def test_rejections_return_the_operators_reason(config, store, key, tool, args):
    """A rejection is a normal result carrying the reason, never an error."""
    result, proposal_id = await _call_and_decide(
        config, store, key, tool, args, Reject(reason="not now")
    )
    assert not result.is_error
    assert result.structured_content["decision"] == "rejected"
    assert result.structured_content["reason"] == "not now"
    assert store.archive_record(proposal_id).outcome == "rejected"


async def test_an_undecided_call_times_out_and_is_archived(config, store):
    """No decision within the timeout: the agent hears timed_out, the proposal is archived."""
    quick = config.model_copy(update={"decision_timeout": 0.05})
    async with Client(make_server(quick)) as client:
        result = await client.call_tool("capability-block", {"capability": "x"})
    assert result.structured_content["decision"] == "timed_out"
    [record] = store.archived()
    assert record.outcome == "timed_out"
    assert store.pending() == []


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        (
            "egress-allow",
            {"host": "a.com", "justification": "j", "status": "approved"},
            "unknown argument(s): status",
        ),
        (
            "egress-allow",
            {"host": "a.com", "justification": "j", "inject_headers": {"A": "b"}},
            "unknown argument(s): inject_headers",
        ),
        (
            "egress-block",
            {"host": "a.com", "justification": "j", "approved_by": "me"},
            "unknown argument(s): approved_by",
        ),
        ("egress-allow", {"host": "a.com", "justification": "j" * 40000}, "limit is"),
        ("capability-block", {"capability": "x", "detail": [[[[[[["deep"]]]]]]]}, "nest deeper"),
        ("egress-allow", {"host": "10.0.0.1", "justification": "j"}, "IP"),
        ("egress-allow", {"host": "../approved/x", "justification": "j"}, "host"),
        ("egress-allow", {"host": "a.com", "justification": "j", "paths": ["/a\x00b"]}, "path"),
        ("egress-allow", {"host": "a.com", "justification": ""}, "justification"),
        ("capability-block", {"capability": "line\x1b[2Jbreak"}, "capability"),
    ],
)
async def test_bad_inputs_are_rejected_with_a_clear_error_and_write_nothing(
    config, store, tool, args, expected
):
    """Extra fields, oversize, deep nesting, IPs, path tricks and control characters are refused."""
    async with Client(make_server(config)) as client:
        result = await client.call_tool(tool, args)
    assert result.is_error
    text = result.content[0].text
    assert expected.lower() in text.lower(), text
    assert store.pending() == []
    assert store.archived() == []


async def test_list_egress_routes_returns_the_routes_in_the_file_schema(config):
    """The agent reads the routes in force with the same keys it may propose."""
    async with Client(make_server(config)) as client:
        result = await client.call_tool("list-egress-routes", {})
    text = result.content[0].text
    assert "host: api.github.com" in text
    assert "outbound_on_match: supervise" in text


async def test_a_forged_response_is_not_returned_as_approval(config, store, key, tmp_path):
    """A response signed with another key is quarantined; the call times out instead."""
    quick = config.model_copy(update={"decision_timeout": 0.5})
    forger = ApprovalKey.generate()
    result: Any = None
    async with Client(make_server(quick)) as client:

        async def call() -> None:
            nonlocal result
            result = await client.call_tool("capability-block", {"capability": "x"})

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await _decide_when_pending(store, forger, Approve(reason="forged"))
    assert result.structured_content["decision"] == "timed_out"
    assert list(store.quarantine.iterdir())


async def test_a_call_the_agent_abandons_is_archived_as_interrupted(config, store):
    """Cancelling the call archives its proposal; nothing stays pending, nothing applies."""
    async with Client(make_server(config)) as client:
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.call_tool, "capability-block", {"capability": "x"})
            with anyio.fail_after(5):
                while not store.pending():
                    await anyio.sleep(0.01)
            tg.cancel_scope.cancel()
        with anyio.fail_after(5):
            while not store.archived():
                await anyio.sleep(0.01)
    [record] = store.archived()
    assert record.outcome == "interrupted"
    assert store.pending() == []


async def test_proposals_left_by_a_previous_run_are_archived_at_start(config, store):
    """On start the server archives its own unfinished proposals as interrupted."""
    leftover = store.submit("demo", sample_request("egress-allow"))
    theirs = store.submit("demo", sample_request("gitleaks-allow"))
    async with Client(make_server(config)) as client:
        await client.list_tools()
    assert store.archive_record(leftover.id).outcome == "interrupted"
    assert [e.proposal.id for e in store.pending()] == [theirs.id]


async def test_a_waiting_call_reports_progress_to_the_client(config, store, key):
    """Clients that reset their timeout on progress keep waiting for the operator."""
    chatty = config.model_copy(update={"progress_interval": 0.02})
    seen: list[float] = []
    result: Any = None

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async with Client(make_server(chatty)) as client:

        async def call() -> None:
            nonlocal result
            result = await client.call_tool(
                "capability-block", {"capability": "x"}, progress_callback=on_progress
            )

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            with anyio.fail_after(5):
                while len(seen) < 2:
                    await anyio.sleep(0.01)
            await _decide_when_pending(store, key, Approve())
    assert result.structured_content["decision"] == "approved"
    assert seen == sorted(seen)
