"""Round trip over real parts: ``bb-supervise serve`` on loopback (streamable HTTP), the real
MCP client, and ``bb queue approve`` / ``reject`` as subprocesses on a real queue directory.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from bb_protocol.paths import approval_key_file, queue_dir, routes_file
from bb_protocol.queue import ApprovalKey, QueueStore

pytestmark = pytest.mark.anyio

BIN = Path(sys.executable).parent
ROUTES = "version: 1\nroutes:\n  - host: api.github.com\n"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bottle(state: Path, slug: str) -> QueueStore:
    env = {"BOT_BOTTLE_STATE_DIR": str(state)}
    store = QueueStore(queue_dir(slug, env)).ensure()
    ApprovalKey.create_file(approval_key_file(slug, env))
    path = routes_file(slug, env)
    path.parent.mkdir(parents=True)
    path.write_text(ROUTES, encoding="utf-8")
    return store


@pytest.fixture
def serve(tmp_path):
    """Start ``bb-supervise serve`` for a bottle; yield (slug, store, url); stop it after."""
    started: list[subprocess.Popen[bytes]] = []

    def start(slug: str = "demo") -> tuple[str, QueueStore, str]:
        state = tmp_path / "state"
        store = _bottle(state, slug)
        env = {"BOT_BOTTLE_STATE_DIR": str(state)}
        port = _free_port()
        proc = subprocess.Popen(
            [str(BIN / "bb-supervise"), "serve"],
            env={
                **os.environ,
                "BOT_BOTTLE_SLUG": slug,
                "BOT_BOTTLE_QUEUE_DIR": str(queue_dir(slug, env)),
                "BOT_BOTTLE_APPROVAL_KEY_FILE": str(approval_key_file(slug, env)),
                "BOT_BOTTLE_ROUTES_FILE": str(routes_file(slug, env)),
                "BOT_BOTTLE_SUPERVISE_LISTEN": f"127.0.0.1:{port}",
                "BOT_BOTTLE_SUPERVISE_TIMEOUT_SECONDS": "60",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(proc)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "bb-supervise exited at start"
                assert time.monotonic() < deadline, "bb-supervise never listened"
                time.sleep(0.05)
        return slug, store, f"http://127.0.0.1:{port}/mcp"

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=30)


def _bb(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "bb"), "queue", *args],
        env={**os.environ, "BOT_BOTTLE_STATE_DIR": str(state)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


async def _call_while_operator_acts(url, store, tool, args, *cli_args) -> tuple[Any, str]:
    result: Any = None
    async with Client(url) as client:

        async def call() -> None:
            nonlocal result
            result = await client.call_tool(tool, args)

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            with anyio.fail_after(30):
                while not store.pending():
                    await anyio.sleep(0.02)
            proposal_id = store.pending()[0].proposal.id
            done = await anyio.to_thread.run_sync(
                lambda: _bb(
                    store.root.parent.parent.parent, cli_args[0], proposal_id, *cli_args[1:]
                )
            )
            assert done.returncode == 0, done.stderr
    return result, proposal_id


async def test_an_agent_call_is_answered_by_bb_queue_approve(serve):
    """capability-block over HTTP blocks until ``bb queue approve`` decides, then returns it."""
    _slug, store, url = serve()
    result, proposal_id = await _call_while_operator_acts(
        url, store, "capability-block", {"capability": "need docker"}, "approve", "--reason", "ok"
    )
    assert result.structured_content["decision"] == "approved"
    assert result.structured_content["reason"] == "ok"
    record = store.archive_record(proposal_id)
    assert record.outcome == "approved"
    assert record.archived_by == "supervise"


async def test_a_rejection_reaches_the_agent_with_its_reason(serve):
    """``bb queue reject --reason`` is what the agent hears."""
    _slug, store, url = serve()
    result, _ = await _call_while_operator_acts(
        url,
        store,
        "egress-block",
        {"host": "api.github.com", "justification": "x"},
        "reject",
        "--reason",
        "keep it",
    )
    assert result.structured_content["decision"] == "rejected"
    assert result.structured_content["reason"] == "keep it"


@pytest.fixture
def egress_container():
    """A real container labelled as the bottle's egress service (records SIGHUPs)."""
    slug = f"t{secrets.token_hex(4)}"
    started = subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--rm",
            "--network",
            "none",
            "--label",
            f"com.docker.compose.project=bb-{slug}",
            "--label",
            "com.docker.compose.service=egress",
            "debian:trixie-slim",
            "sh",
            "-c",
            'trap "echo hup >> /tmp/hups" HUP; while true; do sleep 0.1; done',
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    yield slug
    subprocess.run(
        ["docker", "rm", "-f", started.stdout.strip()], capture_output=True, check=False, timeout=60
    )


@pytest.mark.docker
async def test_an_approved_route_is_live_and_listed_when_the_agent_hears_approved(
    serve, egress_container, docker_engine
):
    """egress-allow -> bb queue approve -> routes file changed, proxy signalled -> listed."""
    _slug, store, url = serve(egress_container)
    result, _ = await _call_while_operator_acts(
        url,
        store,
        "egress-allow",
        {"host": "pypi.org", "justification": "deps", "methods": ["GET"]},
        "approve",
        "--reason",
        "deps",
    )
    assert result.structured_content["decision"] == "approved"
    async with Client(url) as client:
        listed = await client.call_tool("list-egress-routes", {})
    assert "host: pypi.org" in listed.content[0].text


def _lookalike(marker: str) -> str:
    """Escape case F91's host: 244 characters, ``api.github.com.`` first, ``<marker>.example``."""
    head = "api.github.com." + ".".join(["a" * 63] * 3) + "."
    tail = f"{marker}.example"
    return f"{head}{'b' * (244 - len(head) - len(tail) - 1)}.{tail}"


async def test_a_lookalike_rejected_after_the_operator_looked_at_it_every_way_reaches_the_agent(
    serve,
):
    """F91's order of events without Docker: while the agent's egress-allow waits (with a
    progress token, so supervise streams progress), the operator lists the queue (table and
    --json), shows the proposal, keeps a TUI-style operator whose index has seen it, and
    only then rejects: the agent hears the rejection and supervise archives it as such."""
    from bb_cli.applicator.operator import Operator, discover_bottles

    _slug, store, url = serve()
    state = store.root.parent.parent.parent
    host = _lookalike("f91marker")
    result: Any = None
    async with Client(url) as client:

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            """Accepted and ignored: a progress token makes supervise stream while waiting."""

        async def call() -> None:
            nonlocal result
            result = await client.call_tool(
                "egress-allow",
                {"host": host, "port": 443, "justification": "GitHub API for the release notes"},
                progress_callback=on_progress,
            )

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            with anyio.fail_after(30):
                while not store.pending():
                    await anyio.sleep(0.02)
            proposal_id = store.pending()[0].proposal.id
            env = {"BOT_BOTTLE_STATE_DIR": str(state)}
            tui = Operator(discover_bottles(env), reload_for=lambda _b: None, decided_by="t")
            assert [i.id for i in tui.items()] == [proposal_id]
            for args in (("list",), ("list", "--json"), ("show", proposal_id)):
                shown = await anyio.to_thread.run_sync(lambda a=args: _bb(state, *a))
                assert shown.returncode == 0, shown.stderr
                assert "f91marker.example" in shown.stdout
            rejected = await anyio.to_thread.run_sync(
                lambda: _bb(state, "reject", proposal_id, "--reason", "look-alike host")
            )
            assert rejected.returncode == 0, rejected.stderr
    assert result.structured_content["decision"] == "rejected"
    assert result.structured_content["reason"] == "look-alike host"
    record = store.archive_record(proposal_id)
    assert record is not None
    assert record.outcome == "rejected"
    assert tui.items() == []
