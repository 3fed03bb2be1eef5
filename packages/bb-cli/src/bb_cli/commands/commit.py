"""``bb commit [SLUG]``: snapshot a running bottle's agent so ``bb resume`` boots from it.

Thin adapter over `bb_cli.freeze`: pick the bottle (interactive when SLUG is omitted), ask
the bottle's backend for its freezer, print where the snapshot went and how to use it.
Also holds `resume_image`, the one call ``bb resume`` makes to find a snapshot.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from bb_cli.commands._common import fail, handle_errors, require_engine

__all__ = ["commit", "resume_image"]


def _running_slugs() -> list[str]:
    from bb_cli.backends import get_bottle_backend
    from bb_cli.state import list_records

    records = list_records()
    for backend in sorted({r.backend for r in records}):
        require_engine(backend)
    return [
        record.slug
        for record in records
        if get_bottle_backend(record.backend).status(record.slug).state == "running"
    ]


def _pick_running() -> str:
    running = _running_slugs()
    if not running:
        raise fail("no running bottle to commit; start one with `bb start` or `bb resume`", 3)
    if len(running) == 1:
        return running[0]
    if not sys.stdin.isatty():
        raise fail(f"name a bottle: bb commit SLUG (running: {', '.join(running)})", 2)
    from rich.console import Console
    from rich.prompt import Prompt

    return Prompt.ask("bottle", choices=running, default=running[-1], console=Console(stderr=True))


def resume_image(slug: str, backend_name: str) -> str | None:
    """The snapshot ``bb resume`` should boot ``slug`` from; ``None`` (warned) otherwise."""
    from bb_cli.backends import get_bottle_backend
    from bb_cli.freeze import get_freezer

    def warn(message: str) -> None:
        print(f"warning: {message}", file=sys.stderr)

    try:
        freezer = get_freezer(get_bottle_backend(backend_name))
    except ValueError:
        return None
    return freezer.resume_image(slug, warn)


@handle_errors
def commit(
    slug: Annotated[str | None, typer.Argument(help="Bottle slug (picker if omitted).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the snapshot as JSON.")] = False,
) -> None:
    """Snapshot a running bottle's agent (it keeps running); `bb resume` boots from it.

    Example: bb commit shell-3f2a
    """
    from bb_cli.backends import get_bottle_backend
    from bb_cli.freeze import get_freezer
    from bb_cli.state import find_record

    record = find_record(slug or _pick_running())
    require_engine(record.backend)
    try:
        freezer = get_freezer(get_bottle_backend(record.backend))
    except ValueError as exc:
        raise fail(str(exc), 6) from None
    result = freezer.freeze(record.slug)
    if as_json:
        typer.echo(json.dumps(json.loads(result.committed.model_dump_json())))
        return
    print(
        f"committed {record.slug} to {result.committed.image} (bottle still running; "
        f"`bb rm` keeps the image)",
        file=sys.stderr,
    )
    print(f"resume: {result.resume_hint}", file=sys.stderr)
    print(f"move it: {result.export_hint}", file=sys.stderr)
