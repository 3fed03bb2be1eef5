"""``bb audit``: every egress and git-gate decision of a bottle, as a table or JSON lines.

A thin adapter over `bb_cli.audit_view` (parsing, ``--since``, rows) and
`bb_cli.audit_tail` (files, following). Reading never needs the engine: the audit files
live in the bottle's host state (`bb_protocol.paths.egress_audit_file`,
`bb_protocol.paths.gitgate_audit_file`); ``bb rm`` moves them to ``<state>/removed/``.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

if TYPE_CHECKING:
    from bb_protocol.audit import AuditRecord

__all__ = ["EPILOG", "audit"]

FOLLOW_INTERVAL: Final = 0.2
"""Seconds between two reads of the followed files: a decision shows well within a second."""

EPILOG = """\
Examples:

  bb audit quiet-otter                 # everything so far, as a table

  bb audit quiet-otter -f --since 10m  # the last ten minutes, then follow like tail -f

  bb audit --all --json | jq 'select(.decision=="deny")'
"""


def _files(slug: str) -> list[Path]:
    from bb_protocol.paths import egress_audit_file, gitgate_audit_file

    return [egress_audit_file(slug), gitgate_audit_file(slug)]


def _emit(records: list[AuditRecord], as_json: bool, header: list[bool]) -> None:
    from bb_cli.audit_view import COLUMNS, row

    lines: list[str] = []
    for record in records:
        if as_json:
            lines.append(record.model_dump_json())
            continue
        if not header[0]:
            lines.append(_format(COLUMNS))
            header[0] = True
        lines.append(_format(row(record)))
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()


_WIDTHS: Final = (19, 14, 7, 8, 60)


def _format(cells: tuple[str, ...]) -> str:
    padded = [c.ljust(w) if len(c) <= w else c for c, w in zip(cells, _WIDTHS, strict=False)]
    return "  ".join([*padded, *cells[len(_WIDTHS) :]]).rstrip()


def audit(
    slug: Annotated[
        str | None, typer.Argument(help="Bottle slug (omit with --all).", show_default=False)
    ] = None,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help="Keep printing new decisions as they are taken."),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only decisions after this: a duration (90s, 10m, 2h, 1d) or an ISO time.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line (the audit record).")
    ] = False,
    all_bottles: Annotated[
        bool, typer.Option("--all", help="Every bottle on this host, merged by time.")
    ] = False,
) -> None:
    """Show a bottle's egress and git-gate decisions: allowed, denied and why, redacted, held.

    Each line names the time, the sidecar (egress or gitgate), the decision, the request
    (method, host, path without query; the repository and refs of a push) and why: the
    denial reason, the DLP detectors that fired (never the secret), or the route that
    allowed it. Observations of `bb start --observe` are marked `observed`.
    """
    from bb_cli.audit_tail import AuditTail, read_records
    from bb_cli.audit_view import LineParser, merge_by_time, parse_since
    from bb_cli.commands._common import fail
    from bb_cli.state import find_record, list_records
    from bb_protocol.paths import bottles_dir

    if all_bottles == (slug is not None):
        raise fail("name one bottle (bb audit SLUG) or use --all, not both", 2)
    try:
        after = parse_since(since, datetime.now(UTC)) if since else None
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if slug is not None:
        find_record(slug)  # a clear error for an unknown slug
        files = _files(slug)
    else:
        files = [f for r in list_records() for f in _files(r.slug)]
    parser = LineParser()
    header = [False]

    def keep(records: list[AuditRecord]) -> list[AuditRecord]:
        return [r for r in records if after is None or r.time >= after]

    if not follow:
        batch: list[AuditRecord] = []
        for record in merge_by_time(*(read_records(path, parser) for path in files)):
            batch.append(record)
            if len(batch) >= 1000:
                _emit(keep(batch), as_json, header)
                batch = []
        _emit(keep(batch), as_json, header)
        if parser.malformed:
            print(f"warning: {parser.malformed} malformed audit line(s) skipped", file=sys.stderr)
        if not header[0] and not as_json:
            print("no decisions recorded yet", file=sys.stderr)
        return
    tail = AuditTail(files, parser, from_end=False)  # the first poll is the history
    known = {r.slug for r in list_records()} if all_bottles else set()
    try:
        while True:
            if all_bottles:  # bottles started while following join the stream
                for path in sorted(bottles_dir().glob("*/")):
                    if path.name not in known:
                        known.add(path.name)
                        for file in _files(path.name):
                            tail.add(file)
            _emit(keep(tail.poll()), as_json, header)
            time.sleep(FOLLOW_INTERVAL)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
