"""``bb supervise``: the operator's TUI across all bottles' queues."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["supervise"]


def supervise(
    bottle: Annotated[
        str | None, typer.Option("--bottle", help="Only this bottle (slug); default all.")
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", help="bot-bottle's state dir (default: the usual one)."),
    ] = None,
    poll: Annotated[
        float, typer.Option("--poll", min=0.1, help="Seconds between looks at the queues.")
    ] = 1.0,
) -> None:
    """Watch every bottle's approval queue and approve, reject or modify proposals.

    Example: bb supervise --bottle shell-3f2a
    """
    from bb_cli.errors import BbError
    from bb_cli.tui.app import make_app

    try:
        app = make_app(state_dir, only=bottle, poll_interval=poll)
    except BbError:
        raise  # one mapping for every command (bb_cli.commands._common.exit_for)
    except ValueError as exc:  # an invalid slug
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    app.run()
