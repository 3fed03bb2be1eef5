"""A `Reporter` that shows image progress on a rich console.

On a terminal each step is one line: the running step (and its latest output) is the live
status, and only its result is printed, so it stays in the scrollback once. Elsewhere (CI
logs, a pipe) every step and result is a plain line, without colour or spinner.
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
        """Make the step the live status (a plain line when not a terminal)."""
        self._step = message
        if self._status is not None:  # a terminal: the result line will say it once
            self._status.update(escape(message))
        else:
            self._console.print(f"→ {escape(message)}", highlight=False)

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
