"""The TUI over a fleet: one page of rows at a time, refreshes that rebuild nothing unchanged."""

from __future__ import annotations

import anyio
import pytest
from textual.widgets import DataTable, Static

from bb_cli.tui.app import make_app
from bb_cli.tui.queue_screen import QueueScreen
from bb_protocol.paths import approval_key_file, queue_dir
from bb_protocol.queue import ApprovalKey, Approve, QueueStore
from bb_protocol.testing import sample_request

pytestmark = pytest.mark.anyio


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    """Bounded wait for the app to reach a state."""
    with anyio.fail_after(timeout):
        while not predicate():
            await pilot.pause(0.02)


def _rows(app) -> list[str]:
    table = app.screen.query_one("#proposals", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def _page(app) -> str:
    return str(app.screen.query_one("#page", Static).content)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(QueueScreen, "PAGE_SIZE", 3)


async def test_the_table_shows_one_page_and_n_and_p_move_between_pages(
    operator, store, small_pages
):
    """Seven proposals, pages of three: 3, 3, then 1 row; p goes back."""
    ids = [store.submit("demo", sample_request("capability-block", str(i))).id for i in range(7)]
    app = make_app(operator=operator, poll_interval=3600)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: len(_rows(app)) == 3)
        assert _rows(app) == ids[:3]
        assert "1-3 of 7" in _page(app)
        await pilot.press("n")
        await until(pilot, lambda: _rows(app) == ids[3:6])
        await pilot.press("n", "n")
        await until(pilot, lambda: _rows(app) == ids[6:])
        assert "7-7 of 7" in _page(app)
        await pilot.press("p")
        await until(pilot, lambda: _rows(app) == ids[3:6])


async def test_a_refresh_that_changes_nothing_does_not_rebuild_the_table(operator, store, key):
    """Polling an unchanged queue redraws no rows; a decision on the page does."""
    proposal = store.submit("demo", sample_request("capability-block"))
    app = make_app(operator=operator, poll_interval=3600)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await until(pilot, lambda: screen.loads >= 1)
        rebuilds = screen.rebuilds
        for expected in (2, 3):
            await pilot.press("g")
            await until(pilot, lambda n=expected: screen.loads >= n)
        assert screen.rebuilds == rebuilds
        operator.decide(proposal.id, Approve(reason="ok"))
        await pilot.press("g")
        await until(pilot, lambda: screen.loads >= 4)
        assert screen.rebuilds == rebuilds + 1
        assert "decided: approve" in str(screen.query_one("#proposals", DataTable).get_row_at(0)[3])


async def test_a_bottle_started_while_the_tui_runs_shows_its_proposals(tmp_path):
    """The app over a state dir re-discovers bottles on each poll."""
    env = {"BOT_BOTTLE_STATE_DIR": str(tmp_path)}
    first = QueueStore(queue_dir("first", env)).ensure()
    ApprovalKey.create_file(approval_key_file("first", env))
    first.submit("first", sample_request("capability-block"))
    app = make_app(tmp_path, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: len(_rows(app)) == 1)
        later = QueueStore(queue_dir("later", env)).ensure()
        ApprovalKey.create_file(approval_key_file("later", env))
        proposal = later.submit("later", sample_request("capability-block"))
        await until(pilot, lambda: proposal.id in _rows(app))
