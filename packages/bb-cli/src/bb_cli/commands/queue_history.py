"""``bb queue history``: the proposals already decided, who decided, when and why."""

from __future__ import annotations

import json
from typing import Annotated, Final

import typer

__all__ = ["EPILOG", "history"]

EPILOG: Final = """\
Examples:

  bb queue history                 # every bottle, newest first

  bb queue history quiet-otter --json
"""


def history(
    slug: Annotated[
        str | None,
        typer.Argument(help="Only this bottle (default: every bottle).", show_default=False),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list (one object per proposal).")
    ] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="Only the newest N.")
    ] = None,
) -> None:
    """Show decided proposals, newest first: who decided, when, the decision, the reason.

    The outcome says what the owning sidecar then did (approved, modified, rejected,
    timed_out when nobody decided in time, failed, interrupted).
    """
    from bb_cli.applicator import discover_bottles
    from bb_cli.commands._common import fail
    from bb_cli.queue_history import history_rows, load_history

    try:
        bottles = discover_bottles(only=slug)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if slug is not None and not bottles:
        raise fail(f"no bottle {slug!r} with a queue on this host", 3)
    rows = history_rows(load_history([b.store for b in bottles]))[:limit]
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in rows], indent=2))
        return
    if not rows:
        typer.echo("no decided proposals yet", err=True)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table("decided", "bottle", "kind", "outcome", "by", "reason", "request", "id")
    for row in rows:
        when = (row.decided_at or row.archived_at)[:19].replace("T", " ")
        cells = (
            when,
            row.bottle,
            row.kind,
            row.outcome,
            row.decided_by or "-",
            row.reason,
            row.summary,
            row.id,
        )
        table.add_row(*(Text(c) for c in cells))  # Text: no markup from agent-written text
    Console().print(table)
