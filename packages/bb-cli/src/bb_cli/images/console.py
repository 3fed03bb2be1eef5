"""A `Reporter` that shows image progress on a rich console.

Steps and results are printed as lines (so they stay in the scrollback and in CI logs);
the output of the running step is shown as a one-line live status, so a long build is
visibly moving without flooding the terminal.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.status import Status

__all__ = ["RichReporter"]


class RichReporter:
    """Draw progress with rich; use as a context manager around the operation."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._status: Status | None = None
        self._step = ""

    def __enter__(self) -> RichReporter:
        if self._console.is_terminal:
            self._status = self._console.status("", spinner="dots")
            self._status.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.stop()

    def step(self, message: str) -> None:
        """Print the step and make it the live status."""
        self._step = message
        self._console.print(f"[bold cyan]→[/] {escape(message)}")
        if self._status is not None:
            self._status.update(escape(message))

    def detail(self, line: str) -> None:
        """Show the latest output line under the current step."""
        if self._status is not None:
            short = line.strip()[:100]
            self._status.update(f"{escape(self._step)} [dim]{escape(short)}[/]")

    def done(self, message: str) -> None:
        """Print a finished step."""
        self._console.print(f"[bold green]✓[/] {escape(message)}")

    def warn(self, message: str) -> None:
        """Print a warning."""
        self._console.print(f"[bold yellow]![/] {escape(message)}")
