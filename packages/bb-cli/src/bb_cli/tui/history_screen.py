"""`HistoryScreen`: the decided proposals (the queues' archives), newest first.

Opened with ``h`` from the queue, closed with ``h`` or Escape. Rows come from
`bb_cli.queue_history` (sanitised text only, never Textual markup); the archives are read
in a worker so a large fleet never blocks the screen. The table holds the newest
`HistoryScreen.LIMIT` rows.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from bb_cli.applicator import Operator
from bb_cli.queue_history import HistoryRow, history_rows, load_history

__all__ = ["HistoryScreen"]


class HistoryScreen(Screen[None]):
    """Decided proposals above the selected one's reason and outcome."""

    DEFAULT_CSS = """
    HistoryScreen DataTable { height: 60%; }
    HistoryScreen #history-details-scroll { height: 1fr; border-top: solid $accent; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "app.pop_screen", "Queue"),
        Binding("escape", "app.pop_screen", "Queue", show=False),
        Binding("g", "refresh", "Refresh"),
    ]
    LIMIT: ClassVar[int] = 500
    """Rows shown at most (the newest)."""

    def __init__(self, operator: Operator) -> None:
        super().__init__()
        self.operator = operator
        self.rows: list[HistoryRow] = []
        self.loads = 0
        """Completed loads (tests wait on it instead of sleeping)."""

    def compose(self) -> ComposeResult:
        """Header, table, details, footer."""
        yield Header()
        table: DataTable[Text] = DataTable(cursor_type="row", id="history")
        table.add_columns("decided", "bottle", "kind", "outcome", "by", "request")
        yield table
        with VerticalScroll(id="history-details-scroll"):
            yield Static("no decided proposals yet", id="history-details", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Load once (the archive only grows when something is decided; ``g`` reloads)."""
        self.sub_title = "history: decided proposals, newest first"
        self.action_refresh()

    def action_refresh(self) -> None:
        """Reload the archives (in a worker)."""
        self._load()

    @work(exclusive=True, group="history")
    async def _load(self) -> None:
        stores = [bottle.store for bottle in self.operator.bottles]
        records = await asyncio.to_thread(load_history, stores)
        if not self.is_attached:
            return
        try:
            self._show(history_rows(records)[: self.LIMIT])
        except NoMatches:  # the screen is being torn down
            return

    def _show(self, rows: list[HistoryRow]) -> None:
        self.rows = rows
        table = self.query_one("#history", DataTable)
        table.clear()
        for row in rows:
            when = (row.decided_at or row.archived_at)[:19].replace("T", " ")
            cells = (when, row.bottle, row.kind, row.outcome, row.decided_by or "-", row.summary)
            table.add_row(*(Text(c) for c in cells), key=row.id)
        self._show_details()
        self.loads += 1

    def _show_details(self) -> None:
        table = self.query_one("#history", DataTable)
        details = self.query_one("#history-details", Static)
        if not self.rows:
            details.update("no decided proposals yet")
            return
        row = self.rows[min(table.cursor_row, len(self.rows) - 1)]
        lines = [
            f"{row.id}  ({row.kind}, bottle {row.bottle})",
            f"request:  {row.summary}",
            f"proposed: {row.proposed_at}",
            f"decision: {row.decision or 'none'} by {row.decided_by or '-'}"
            f" at {row.decided_at or '-'}",
            f"reason:   {row.reason or '-'}",
            f"outcome:  {row.outcome}" + (f" ({row.detail})" if row.detail else ""),
        ]
        details.update("\n".join(lines))

    def on_data_table_row_highlighted(self) -> None:
        """Show the highlighted row's details."""
        self._show_details()
