"""Case F91: a look-alike host proposed through the supervise MCP tool, as the operator sees it.

The agent asks, through ``egress-allow`` on the real supervise sidecar, for a 244-character
host that starts ``api.github.com.`` and belongs to ``<marker>.example`` (every label valid,
so the proposal is accepted and waits for the operator). While the agent's call is held, the
harness is the operator, outside the bottle: it runs the real ``bb queue list`` (table and
``--json``) and ``bb queue show`` over the bottle's state directory, and drives the real TUI
with Textual's Pilot (table row, detail pane, approve dialog). Then it rejects the proposal
with ``bb queue reject``, which ends the agent's call. The case's check reads what the
operator was shown: the registrable domain must be ``<marker>.example`` everywhere, and the
full host must be there where the operator decides.

Runs alone, after the concurrent attacks (its call blocks until the operator answers).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from typing import Any

from escape_harness.bottle import Bottle

__all__ = ["LOOKALIKE_CASE", "lookalike_host", "run_lookalike_phase"]

LOOKALIKE_CASE = "F91"

AGENT_SCRIPT = r"""
import http.client, json, sys

host = sys.argv[1]
session = None


def call(method, params=None, notify=False, timeout=10):
    global session
    body = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        body["params"] = params
    if not notify:
        body["id"] = 1
    headers = {"Content-Type": "application/json",
               "Accept": "application/json, text/event-stream"}
    if session:
        headers["mcp-session-id"] = session
    conn = http.client.HTTPConnection("supervise", 8090, timeout=timeout)
    try:
        conn.request("POST", "/mcp", json.dumps(body), headers)
        resp = conn.getresponse()
        session = resp.getheader("mcp-session-id") or session
        raw = resp.read().decode("utf-8", "replace")
    finally:
        conn.close()
    answer = raw
    for line in raw.splitlines():
        if line.startswith("data:"):
            answer = line[5:].strip()
            if '"notifications/progress"' in answer:
                out["progress"] = out.get("progress", 0) + 1
    return answer


out = {}
try:
    call("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "escape-f91", "version": "0"}})
    call("notifications/initialized", notify=True)
    out["call"] = call("tools/call", {"name": "egress-allow", "_meta": {"progressToken": "f91"},
        "arguments": {"host": host, "port": 443,
                      "justification": "GitHub API for the release notes"}}, timeout=150)[:600]
except Exception as exc:
    out["call"] = f"exception: {exc.__class__.__name__}: {exc}"
print(json.dumps(out))
"""


def lookalike_host(marker: str) -> str:
    """``api.github.com.<63 a>.<63 a>.<63 a>.<pad>.<marker>.example``: exactly 244 chars."""
    head = "api.github.com." + ".".join(["a" * 63] * 3) + "."
    tail = f"{marker}.example"
    pad = 244 - len(head) - len(tail) - 1
    return f"{head}{'b' * pad}.{tail}"


def _bb(bottle: Bottle, *args: str) -> dict[str, Any]:
    """``bb queue ...`` as the operator runs it, over the bottle's state directory."""
    from typer.testing import CliRunner

    from bb_cli.app import app

    result = CliRunner().invoke(app, ["queue", *args], env=bottle.operator_env())
    return {"rc": result.exit_code, "out": result.output}


async def _tui(bottle: Bottle, proposal_id: str) -> dict[str, Any]:
    """The TUI's row, detail pane and approve dialog for the proposal (then Escape)."""
    import anyio
    from textual.widgets import DataTable, Static

    from bb_cli.tui.app import make_app
    from bb_cli.tui.reason_screen import ReasonScreen
    from bb_protocol.paths import STATE_DIR_ENV

    app = make_app(bottle.operator_env()[STATE_DIR_ENV], poll_interval=0.2)
    out: dict[str, Any] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.screen.query_one("#proposals", DataTable)
        with anyio.fail_after(20):
            while proposal_id not in {str(k.value) for k in table.rows}:
                await pilot.pause(0.05)
        table.move_cursor(row=table.get_row_index(proposal_id))
        await pilot.pause()
        labels = [str(c.label) for c in table.columns.values()]
        row = [str(v) for v in table.get_row(proposal_id)]
        out["row"] = dict(zip(labels, row, strict=True))
        out["details"] = str(app.screen.query_one("#details", Static).content)
        await pilot.press("a")
        with anyio.fail_after(10):
            while not isinstance(app.screen, ReasonScreen):
                await pilot.pause(0.05)
        detail = app.screen.query("#detail")
        out["approve_dialog"] = str(detail.first(Static).content) if detail else ""
        await pilot.press("escape")
    return out


def _wait_for_proposal(bottle: Bottle, host: str, deadline: float) -> str | None:
    """The id of the pending egress-allow proposal for ``host`` (bounded poll)."""
    while time.monotonic() < deadline:
        rows = json.loads(_bb(bottle, "list", "--json")["out"] or "[]")
        for row in rows:
            if row["kind"] == "egress-allow" and row["request"]["route"]["host"] == host:
                return str(row["id"])
        time.sleep(0.2)  # bounded by the deadline: the agent's call lands asynchronously
    return None


def _wait_for_archive(bottle: Bottle, proposal_id: str, deadline: float) -> str:
    """How supervise archived the proposal, as the host sees it (bounded poll).

    The owner archives only after it claimed the response and built the agent's answer, so
    an archive record proves the waiter saw the decision: if the agent's call still hangs
    after that, the answer was lost on the way back, not in the queue.
    """
    from bb_protocol.queue import QueueStore

    assert bottle.plan is not None
    store = QueueStore(bottle.plan.state_dir / "queue")
    while time.monotonic() < deadline:
        record = store.archive_record(proposal_id)
        if record is not None:
            return f"{record.outcome} by {record.archived_by}"
        time.sleep(0.2)  # bounded by the deadline: supervise polls for the response
    return "not archived: supervise never took the decision"


def run_lookalike_phase(bottle: Bottle, marker: str) -> dict[str, Any]:
    """What the agent got, and what the operator was shown, for the look-alike proposal."""
    host = lookalike_host(marker)
    bottle.exec("agent", "cat > /tmp/f91.py", stdin=AGENT_SCRIPT)
    agent = subprocess.Popen(
        ["docker", "exec", bottle.container("agent"), "python3", "/tmp/f91.py", host],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: dict[str, Any] = {"host": host}
    try:
        proposal_id = _wait_for_proposal(bottle, host, time.monotonic() + 60)
        if proposal_id is None:
            out["error"] = "the proposal never reached the operator's queue"
            return out
        out["proposal"] = proposal_id
        out["list"] = _bb(bottle, "list")
        rows = json.loads(_bb(bottle, "list", "--json")["out"])
        out["json"] = next(r for r in rows if r["id"] == proposal_id)
        out["show"] = _bb(bottle, "show", proposal_id)
        out["tui"] = asyncio.run(_tui(bottle, proposal_id))
        out["reject"] = _bb(bottle, "reject", proposal_id, "--reason", "look-alike host")
        out["archived"] = _wait_for_archive(bottle, proposal_id, time.monotonic() + 120)
    finally:
        try:
            stdout, stderr = agent.communicate(timeout=60)
            out["agent"] = json.loads(stdout) if stdout.strip() else {"stderr": stderr[-500:]}
        except (subprocess.TimeoutExpired, ValueError) as exc:
            agent.kill()
            out["agent"] = {"error": f"{exc.__class__.__name__}: {str(exc)[:200]}"}
            out["queue_after"] = bottle.queue_state()
            logs = subprocess.run(
                ["docker", "logs", "--tail", "30", bottle.container("supervise")],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            out["supervise_log"] = (logs.stdout + logs.stderr)[-3000:]
            state = subprocess.run(
                [
                    "docker",
                    "inspect",
                    "--format",
                    "{{json .State}} restarts={{.RestartCount}}",
                    bottle.container("supervise"),
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            out["supervise_state"] = (state.stdout + state.stderr)[-600:]
    return out
