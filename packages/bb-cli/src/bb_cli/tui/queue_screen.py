"""`QueueScreen`: every pending proposal across bottles, its full context, and the actions.

The table and the detail pane show only sanitised text (`bb_cli.describe`), never
Textual markup. The table has a registrable-domain column and cuts long hosts on their
left; the detail pane and the approve/reject/modify dialogs show the full host. A
decision is bound to the content hash of what the detail pane shows.
New proposals appear on the next poll (and ring the bell). The table holds one page
(`QueueScreen.PAGE_SIZE` rows, ``n``/``p`` to move) and is rebuilt only when that page's
rows change, so a poll over a fleet of thousands of proposals redraws nothing new.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from bb_cli.applicator import Item, Operator
from bb_cli.describe import destination_text, details, domain_column, summary
from bb_cli.errors import BbError
from bb_cli.tui.modify_screen import ModifyScreen
from bb_cli.tui.reason_screen import ReasonScreen
from bb_protocol.queue import (
    APPROVE_NEEDS_REASON,
    MODIFIABLE_KINDS,
    Approve,
    Decision,
    Modify,
    QueueError,
    Reject,
    Request,
    content_hash,
)
from bb_protocol.sanitize import sanitize_line

__all__ = ["QueueScreen"]


class QueueScreen(Screen[None]):
    """The main screen: table of pending proposals above the selected one's details."""

    DEFAULT_CSS = """
    QueueScreen DataTable { height: 45%; }
    QueueScreen #details-scroll { height: 1fr; border-top: solid $accent; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
        Binding("m", "modify", "Modify"),
        Binding("g", "refresh", "Refresh"),
        Binding("n", "page(1)", "Next page"),
        Binding("p", "page(-1)", "Prev page"),
    ]
    PAGE_SIZE: ClassVar[int] = 100
    """Rows in the table at once: a refresh rebuilds at most this many, whatever the fleet."""

    def __init__(
        self, operator: Operator, *, poll_interval: float, page_size: int | None = None
    ) -> None:
        super().__init__()
        self.operator = operator
        self.poll_interval = poll_interval
        self.page_size = page_size or self.PAGE_SIZE
        self.items: dict[str, Item] = {}
        self.order: list[str] = []
        """Every pending id, oldest first; the table shows one page of it."""
        self.page = 0
        self.shown_rows: tuple[tuple[str, str], ...] = ()
        """(id, status) of the rows in the table: an unchanged page is not rebuilt."""
        self.loads = 0
        """Completed loads (tests wait on it instead of sleeping)."""
        self.rebuilds = 0
        """Times the table's rows were replaced (an unchanged page costs no rebuild)."""
        self.shown_sha256: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        """Header, table, details, footer."""
        yield Header()
        table: DataTable[Text] = DataTable(cursor_type="row", id="proposals")
        table.add_columns("id", "bottle", "kind", "status", "domain", "summary")
        yield table
        yield Static("", id="page", markup=False)
        with VerticalScroll(id="details-scroll"):
            yield Static("no pending proposals", id="details", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """First load, then poll."""
        self.action_refresh()
        self.set_interval(self.poll_interval, self.action_refresh)

    def action_refresh(self) -> None:
        """Reload the pending proposals (in a worker)."""
        self._load()

    @work(exclusive=True, group="load")
    async def _load(self) -> None:
        items = await asyncio.to_thread(self.operator.items)
        if not self.is_attached:
            return
        try:
            self._show(items)
        except NoMatches:  # the screen is being torn down (app exiting): nothing to show
            return

    def _show(self, items: list[Item]) -> None:
        new_ids = {i.id for i in items} - self.items.keys()
        self.items = {i.id: i for i in items}
        self.order = [i.id for i in items]
        self._show_page()
        self.loads += 1
        if new_ids and self.is_mounted:
            self.app.bell()

    def _show_page(self) -> None:
        """Put the current page in the table, only if its rows changed since last time."""
        table = self.query_one("#proposals", DataTable)
        pages = max(1, -(-len(self.order) // self.page_size))
        self.page = min(self.page, pages - 1)
        first = self.page * self.page_size
        page = [self.items[i] for i in self.order[first : first + self.page_size]]
        self.query_one("#page", Static).update(
            f"proposals {first + 1 if page else 0}-{first + len(page)} of {len(self.order)}"
            f"  (page {self.page + 1}/{pages}; n/p: next/previous page)"
        )
        rows = tuple((item.id, item.status) for item in page)
        if rows != self.shown_rows:
            selected = self.selected_id()
            self.shown_rows = rows
            self.rebuilds += 1
            table.clear()
            for item in page:
                table.add_row(
                    Text(item.id),
                    Text(sanitize_line(item.bottle.slug)),
                    Text(item.entry.proposal.kind),
                    Text(item.status),
                    Text(domain_column(item.entry.proposal.request)),
                    Text(summary(item.entry.proposal.request)),
                    key=item.id,
                )
            if selected is not None and any(r[0] == selected for r in rows):
                table.move_cursor(row=table.get_row_index(selected))
        self._show_details()

    def action_page(self, step: int) -> None:
        """Show the next (``1``) or previous (``-1``) page of proposals."""
        pages = max(1, -(-len(self.order) // self.page_size))
        page = min(max(self.page + step, 0), pages - 1)
        if page != self.page:
            self.page = page
            self._show_page()

    def selected_id(self) -> str | None:
        """The id of the highlighted proposal, if any."""
        table = self.query_one("#proposals", DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return None if row_key.value is None else str(row_key.value)

    def _show_details(self) -> None:
        pane = self.query_one("#details", Static)
        proposal_id = self.selected_id()
        item = self.items.get(proposal_id) if proposal_id else None
        if item is None:
            pane.update("no pending proposals")
            return
        self.shown_sha256[item.id] = content_hash(item.entry.proposal)
        pane.update(Text(details(item.entry.proposal, item.entry.response)))

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._show_details()

    def _selected_item(self) -> Item | None:
        proposal_id = self.selected_id()
        item = self.items.get(proposal_id) if proposal_id else None
        if item is None:
            self.notify("nothing selected", severity="warning")
        elif item.entry.response is not None:
            self.notify("already decided; waiting for its owner", severity="warning")
            return None
        return item

    def action_approve(self) -> None:
        """Approve the selected proposal (asks for a reason; required for some kinds)."""
        item = self._selected_item()
        if item is None:
            return
        required = item.entry.proposal.kind in APPROVE_NEEDS_REASON
        title = f"approve: {summary(item.entry.proposal.request)}"

        def done(reason: str | None) -> None:
            if reason is not None:
                self._decide(item.id, Approve(reason=reason))

        detail = destination_text(item.entry.proposal.request)
        self.app.push_screen(ReasonScreen(title, required=required, detail=detail), done)

    def action_reject(self) -> None:
        """Reject the selected proposal (the reason goes back to the agent)."""
        item = self._selected_item()
        if item is None:
            return

        def done(reason: str | None) -> None:
            if reason is not None:
                self._decide(item.id, Reject(reason=reason))

        title = f"reject: {summary(item.entry.proposal.request)}"
        detail = destination_text(item.entry.proposal.request)
        self.app.push_screen(ReasonScreen(title, required=False, detail=detail), done)

    def action_modify(self) -> None:
        """Edit and approve the selected proposal, where modifying makes sense."""
        item = self._selected_item()
        if item is None:
            return
        if item.entry.proposal.kind not in MODIFIABLE_KINDS:
            self.notify(
                f"a {item.entry.proposal.kind} proposal can only be approved or rejected",
                severity="warning",
            )
            return

        def done(result: tuple[Request, str] | None) -> None:
            if result is not None:
                request, reason = result
                self._decide(item.id, Modify(request=request, reason=reason))

        self.app.push_screen(ModifyScreen(item.entry.proposal.request), done)

    @work(exclusive=True, group="decide")
    async def _decide(self, proposal_id: str, decision: Decision) -> None:
        seen = self.shown_sha256.get(proposal_id)
        item = self.items.get(proposal_id)
        decided = decision.request if isinstance(decision, Modify) else None
        if decided is None and item is not None:
            decided = item.entry.proposal.request
        domain = "" if decided is None else domain_column(decided)
        try:
            await asyncio.to_thread(self.operator.decide, proposal_id, decision, seen_sha256=seen)
        except (BbError, QueueError, OSError) as exc:  # BbError: apply failed, bottle gone
            self.notify(sanitize_line(str(exc)), severity="error", timeout=10, markup=False)
        else:
            where = "" if domain in ("", "-") else f" (registrable domain {domain})"
            self.notify(f"{decision.kind}: {proposal_id}{where}", markup=False)
        self.action_refresh()
