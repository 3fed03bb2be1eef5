"""How the image layer reports progress, kept apart from how it is shown.

The build code calls a `Reporter`; the CLI passes one that draws with rich, tests pass
`RecordingReporter`. Long steps (debootstrap, docker build) feed every output line to
`Reporter.detail` so the user always sees what is happening.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["RecordingReporter", "Reporter"]


class Reporter(Protocol):
    """Receives progress from a long-running image operation."""

    def step(self, message: str) -> None:
        """A new step starts."""

    def detail(self, line: str) -> None:
        """One line of output from the current step."""

    def done(self, message: str) -> None:
        """The current step finished."""

    def warn(self, message: str) -> None:
        """Something the user should know, though the operation carries on."""


@dataclass
class RecordingReporter:
    """A `Reporter` that keeps everything, for tests and for ``--json`` output."""

    events: list[tuple[str, str]] = field(default_factory=list)
    detail_lines: int = 0

    def step(self, message: str) -> None:
        """Record a step."""
        self.events.append(("step", message))

    def detail(self, line: str) -> None:
        """Details are too many to keep; count them only."""
        self.detail_lines += 1

    def done(self, message: str) -> None:
        """Record a finished step."""
        self.events.append(("done", message))

    def warn(self, message: str) -> None:
        """Record a warning."""
        self.events.append(("warn", message))
