"""The TUI's history screen (``h``), driven with Pilot over a real queue directory."""

from __future__ import annotations

import anyio
import pytest
from textual.widgets import DataTable, Static

from bb_cli.tui.app import make_app
from bb_cli.tui.history_screen import HistoryScreen
from bb_protocol.queue import Approve, Reject, content_hash
from bb_protocol.testing import sample_request

pytestmark = pytest.mark.anyio


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    """Bounded wait for the app to reach a state."""
    with anyio.fail_after(timeout):
        while not predicate():
            await pilot.pause(0.02)


def _decide_and_archive(store, key, kind: str, decision, outcome: str) -> str:
    """What happens in a bottle: proposed, decided by the operator, claimed and archived."""
    proposal = store.submit("demo", sample_request(kind))
    store.decide(
        proposal.id, decision, key, decided_by="op@test", seen_sha256=content_hash(proposal)
    )
    response = store.claim(proposal, key)
    store.archive(proposal, outcome, by=proposal.owner, response=response)
    return proposal.id


async def test_h_shows_decided_proposals_newest_first_with_who_and_why(operator, store, key):
    """h opens the history: each decided proposal with its outcome, decider and reason."""
    first = _decide_and_archive(store, key, "capability-block", Approve(reason="fine"), "approved")
    second = _decide_and_archive(
        store, key, "gitleaks-allow", Reject(reason="real key"), "rejected"
    )
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.loads > 0)
        table = app.screen.query_one("#history", DataTable)
        assert table.row_count == 2
        assert [r.id for r in app.screen.rows] == [second, first]
        details = str(app.screen.query_one("#history-details", Static).content)
        assert "reject by op@test" in details
        assert "real key" in details
        assert "rejected" in details
        await pilot.press("down")
        await until(
            pilot, lambda: "fine" in str(app.screen.query_one("#history-details", Static).content)
        )
        await pilot.press("h")
        await until(pilot, lambda: not isinstance(app.screen, HistoryScreen))


async def test_an_empty_history_says_so(operator):
    """With nothing decided yet the screen says so instead of showing an empty table."""
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.loads > 0)
        assert "no decided proposals" in str(
            app.screen.query_one("#history-details", Static).content
        )
