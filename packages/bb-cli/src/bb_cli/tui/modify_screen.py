"""`ModifyScreen`: the operator edits a request (as YAML) and gives a reason.

Returns ``(request, reason)`` or None when cancelled. The edited text is validated against
the shared request models (same kind as the original); errors are shown in place. The
original host's registrable domain and full host are shown above the editor, uncut.
"""

from __future__ import annotations

from typing import ClassVar

import yaml
from pydantic import TypeAdapter, ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from bb_cli.describe import destination_text
from bb_protocol.queue import Request

__all__ = ["ModifyScreen", "parse_modified"]

_ADAPTER: TypeAdapter[Request] = TypeAdapter(Request)


def parse_modified(text: str, kind: str) -> Request:
    """Parse the edited YAML into a request of ``kind``; raise `ValueError` saying what is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not YAML: {exc}") from exc
    try:
        request = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise ValueError(f"invalid at {where}: {first['msg']}") from exc
    if request.kind != kind:
        raise ValueError(f"the kind must stay {kind}")
    return request


class ModifyScreen(ModalScreen[tuple[Request, str] | None]):
    """Edit the request; Save validates, Cancel leaves everything as it was."""

    DEFAULT_CSS = """
    ModifyScreen { align: center middle; }
    ModifyScreen > Vertical { width: 100; height: 36; border: thick $accent; padding: 1 2; }
    ModifyScreen TextArea { height: 1fr; }
    ModifyScreen #error { color: $error; }
    ModifyScreen Horizontal { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, request: Request) -> None:
        super().__init__()
        self.original = request
        self.initial = yaml.safe_dump(
            request.model_dump(mode="json", exclude_none=True), sort_keys=False
        )

    def compose(self) -> ComposeResult:
        """Editor, reason, error line, buttons."""
        with Vertical():
            yield Label(f"modify {self.original.kind} (YAML)", markup=False)
            destination = destination_text(self.original)
            if destination:
                yield Static(destination, id="destination", markup=False)
            yield TextArea(self.initial, id="editor", language=None)
            yield Input(placeholder="reason (optional)", id="reason")
            yield Label("", id="error", markup=False)
            with Horizontal():
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        text = self.query_one("#editor", TextArea).text
        try:
            request = parse_modified(text, self.original.kind)
        except ValueError as exc:
            self.query_one("#error", Label).update(str(exc))
            return
        self.dismiss((request, self.query_one("#reason", Input).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Dismiss without changes."""
        self.dismiss(None)
