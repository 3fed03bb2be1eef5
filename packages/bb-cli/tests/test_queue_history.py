"""Specification of bb_cli.queue_history and ``bb queue history``: who decided what, why."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bb_cli.app import app
from bb_cli.queue_history import history_rows, load_history
from bb_protocol.paths import approval_key_file, queue_dir
from bb_protocol.queue import ApprovalKey, Approve, QueueStore, content_hash
from bb_protocol.testing import sample_request


def _bottle(env: dict[str, str], slug: str) -> tuple[QueueStore, ApprovalKey]:
    store = QueueStore(queue_dir(slug, env)).ensure()
    return store, ApprovalKey.create_file(approval_key_file(slug, env))


def test_decided_proposals_become_rows_with_who_when_and_why(tmp_path) -> None:
    """An archived approval names its decider, reason, outcome; a timeout names nobody."""
    env = {"BOT_BOTTLE_STATE_DIR": str(tmp_path)}
    store, key = _bottle(env, "demo")
    decided = store.submit("demo", sample_request("capability-block"))
    store.decide(
        decided.id,
        Approve(reason="ok <b>[red]x[/red]\x1b[2J"),
        key,
        decided_by="op@h",
        seen_sha256=content_hash(decided),
    )
    store.archive(decided, "approved", by=decided.owner, response=store.claim(decided, key))
    expired = store.submit("demo", sample_request("gitleaks-allow"))
    store.archive(expired, "timed_out", by=expired.owner, detail="no decision in time")
    rows = history_rows(load_history([store]))
    assert [r.id for r in rows] == [expired.id, decided.id]
    assert (rows[0].decision, rows[0].decided_by, rows[0].outcome) == (None, None, "timed_out")
    assert (rows[1].decision, rows[1].decided_by, rows[1].outcome) == (
        "approve",
        "op@h",
        "approved",
    )
    assert "\x1b" not in rows[1].reason  # control characters made visible, never sent raw


def test_bb_queue_history_json_lists_every_bottle_or_one(tmp_path, monkeypatch) -> None:
    """``bb queue history --json`` covers all bottles; a slug narrows it."""
    env = {"BOT_BOTTLE_STATE_DIR": str(tmp_path)}
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path))
    for slug in ("one", "two"):
        store, _key = _bottle(env, slug)
        proposal = store.submit(slug, sample_request("capability-block"))
        store.archive(proposal, "interrupted", by=proposal.owner)
    everything = CliRunner().invoke(app, ["queue", "history", "--json"])
    assert everything.exit_code == 0, everything.output
    assert sorted(r["bottle"] for r in json.loads(everything.stdout)) == ["one", "two"]
    one = CliRunner().invoke(app, ["queue", "history", "one", "--json"])
    assert [r["bottle"] for r in json.loads(one.stdout)] == ["one"]
    missing = CliRunner().invoke(app, ["queue", "history", "nope"])
    assert missing.exit_code == 3
