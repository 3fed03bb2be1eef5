"""`ReasonScreen`: asks the operator for a reason; returns it, or None when cancelled.

``detail`` is shown whole (wrapped, never cut) under the title: for a proposal about a
host, its registrable domain and full host (`bb_cli.describe.destination_text`).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

__all__ = ["ReasonScreen"]


class ReasonScreen(ModalScreen[str | None]):
    """A one-line reason; ``required`` refuses an empty one (token and gitleaks approvals)."""

    DEFAULT_CSS = """
    ReasonScreen { align: center middle; }
    ReasonScreen > Vertical { width: 80; height: auto; border: thick $accent; padding: 1 2; }
    ReasonScreen #error { color: $error; }
    ReasonScreen #detail { margin-bottom: 1; }
    ReasonScreen Horizontal { height: auto; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, *, required: bool, detail: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.required = required
        self.detail = detail

    def compose(self) -> ComposeResult:
        """Title, input, error line, buttons."""
        with Vertical():
            yield Label(self.title_text, markup=False)
            if self.detail:
                yield Static(self.detail, id="detail", markup=False)
            hint = "reason (required)" if self.required else "reason (optional)"
            yield Input(placeholder=hint, id="reason")
            yield Label("", id="error")
            with Horizontal():
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def _submit(self) -> None:
        reason = self.query_one("#reason", Input).value
        if self.required and not reason.strip():
            self.query_one("#error", Label).update("a reason is required for this approval")
            return
        self.dismiss(reason)

    @on(Input.Submitted, "#reason")
    def _reason_submitted(self) -> None:
        self._submit()

    @on(Button.Pressed, "#ok")
    def _ok_pressed(self) -> None:
        self._submit()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Dismiss without a reason: nothing is decided."""
        self.dismiss(None)
