"""``bb snapshots ls|rm``: the images `bb commit` made, which `bb rm` keeps.

A snapshot is an image ``bot-bottle-snapshot/<slug>:<time>`` (`bb_cli.freeze`). `bb rm`
never deletes one, so they are listed here (with whether their bottle still exists),
deleted here, and booted with ``bb resume --snapshot REF`` (`snapshot_bottle` finds the
bottle, live or removed, it was taken from). Docker engine only (the compose and smolvm
backends' snapshots).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from bb_cli.commands._common import require_engine

if TYPE_CHECKING:
    from bb_cli.state import BottleRecord

__all__ = ["app", "snapshot_bottle"]

app = typer.Typer(
    help="List and delete the snapshots `bb commit` made (`bb rm` keeps them).",
    no_args_is_help=True,
)


def _snapshots() -> list[dict[str, str]]:
    from bb_cli.engine import default_engine
    from bb_cli.freeze.base import SNAPSHOT_REPOSITORY

    out = (
        default_engine()
        .run(
            "image",
            "ls",
            "--filter",
            f"reference={SNAPSHOT_REPOSITORY}/*:*",
            "--format",
            "{{json .}}",
            timeout=60,
        )
        .stdout
    )
    rows = []
    for line in out.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        ref = f"{row['Repository']}:{row['Tag']}"
        slug = str(row["Repository"]).removeprefix(f"{SNAPSHOT_REPOSITORY}/")
        rows.append(
            {
                "ref": ref,
                "slug": slug,
                "created": str(row.get("CreatedAt", "")),
                "size": str(row.get("Size", "")),
            }
        )
    return sorted(rows, key=lambda r: r["ref"])


def snapshot_bottle(ref: str) -> tuple[BottleRecord, bool]:
    """The bottle ``ref`` was taken from, and whether it still exists (else: its archived
    record from ``<state>/removed/``). `NotFoundError` for an image that is no snapshot."""
    from bb_cli.errors import BottleNotFoundError, NotFoundError
    from bb_cli.freeze.base import SNAPSHOT_REPOSITORY
    from bb_cli.state import RECORD, BottleRecord, find_record
    from bb_protocol.paths import state_dir

    if ref not in {row["ref"] for row in _snapshots()}:
        raise NotFoundError(f"no snapshot {ref!r}; `bb snapshots ls` lists them")
    slug = ref.removeprefix(f"{SNAPSHOT_REPOSITORY}/").rsplit(":", 1)[0]
    try:
        return find_record(slug), True
    except BottleNotFoundError:
        pass
    archived = sorted((state_dir() / "removed").glob(f"{slug}-*/{RECORD}"))
    if not archived:
        raise NotFoundError(f"snapshot {ref} belongs to bottle {slug}, of which nothing is left")
    return BottleRecord.model_validate_json(archived[-1].read_text(encoding="utf-8")), False


@app.command("ls")
def list_snapshots(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List snapshots: image, the bottle it was taken from (and whether it still exists).

    Example: bb snapshots ls
    """
    from bb_cli.state import list_records

    require_engine()
    live = {r.slug for r in list_records()}
    rows = [{**row, "bottle": "live" if row["slug"] in live else "removed"} for row in _snapshots()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no snapshots (`bb commit SLUG` makes one)")
        return
    width = max(len(r["ref"]) for r in rows)
    typer.echo(f"{'IMAGE'.ljust(width)}  BOTTLE   CREATED")
    for row in rows:
        typer.echo(f"{row['ref'].ljust(width)}  {row['bottle'].ljust(7)}  {row['created']}")


@app.command("rm")
def remove_snapshots(
    refs: Annotated[list[str], typer.Argument(help="Snapshot images (from `bb snapshots ls`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Delete snapshots (only bot-bottle-snapshot/ images; never another image).

    Example: bb snapshots rm bot-bottle-snapshot/shell-3f2a:1764460000
    """
    import sys

    from bb_cli.engine import default_engine
    from bb_cli.errors import NotFoundError

    require_engine()
    known = {row["ref"] for row in _snapshots()}
    unknown = [ref for ref in refs if ref not in known]
    if unknown:
        raise NotFoundError(
            f"not a snapshot: {', '.join(unknown)}; `bb snapshots ls` lists them (nothing deleted)"
        )
    for ref in refs:
        default_engine().run("image", "rm", ref, timeout=120)
        if not as_json:
            print(f"deleted {ref}", file=sys.stderr)
    if as_json:
        typer.echo(json.dumps([{"ref": ref, "state": "deleted"} for ref in refs], indent=2))
