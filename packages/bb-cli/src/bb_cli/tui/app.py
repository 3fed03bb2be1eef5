"""The ``bb supervise`` Textual app, built by `make_app` so tests drive it with Pilot."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from bb_cli.applicator import Operator, discover_bottles
from bb_cli.lifecycle import reload_signal_for
from bb_cli.tui.history_screen import HistoryScreen
from bb_cli.tui.queue_screen import QueueScreen
from bb_protocol.paths import STATE_DIR_ENV

__all__ = ["SuperviseApp", "make_app"]


class SuperviseApp(App[None]):
    """The queue over every bottle (and its history, ``h``); modals for reasons and changes."""

    TITLE = "bot-bottle supervise"
    BINDINGS = [("q", "quit", "Quit"), ("h", "history", "History")]  # noqa: RUF012 - Textual's

    def __init__(self, operator: Operator, *, poll_interval: float = 1.0) -> None:
        super().__init__()
        self.operator = operator
        self.poll_interval = poll_interval

    def on_mount(self) -> None:
        """Show the queue."""
        self.push_screen(QueueScreen(self.operator, poll_interval=self.poll_interval))

    def action_history(self) -> None:
        """Show the decided proposals (`HistoryScreen`) over the queue."""
        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(self.operator))


def make_app(
    queue_root: Path | None = None,
    *,
    operator: Operator | None = None,
    only: str | None = None,
    poll_interval: float = 1.0,
) -> SuperviseApp:
    """The app over the bottles under state dir ``queue_root`` (default: the usual one)."""
    if operator is None:
        environ = None if queue_root is None else {STATE_DIR_ENV: str(queue_root)}
        bottles = discover_bottles(environ, only=only)
        # Across the fleet, bottles started or removed while the TUI runs come and go.
        operator = Operator(
            bottles,
            reload_for=reload_signal_for,
            discover=None if only else (lambda: discover_bottles(environ)),
        )
    return SuperviseApp(operator, poll_interval=poll_interval)
