"""``bb dlp scan``: the operator's DLP dry run over recorded HAR files.

The engine is its own package (bb-dlp), which the CLI depends on like the egress sidecar
and the git gate do, so the scan runs in process: the same `bb_dlp.cli.main` that
``bb-egress dlp scan`` runs in the egress image. It is imported only when the command runs
(``bb --help`` never loads Hyperscan). Output and exit code (0 clean, 1 findings, 2 bad
input) are the scanner's.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app", "scan"]

app = typer.Typer(help="Check recorded traffic with the DLP engine.", no_args_is_help=True)


@app.command("scan")
def scan(
    har: Annotated[list[Path], typer.Argument(help="HAR 1.2 files to scan.")],
    env_file: Annotated[
        Path | None,
        typer.Option("--env-file", help="NAME=value lines: the bottle's secrets."),
    ] = None,
    detectors: Annotated[
        str,
        typer.Option("--detectors", help="Comma-separated detector names, or 'all'."),
    ] = "all",
    output_format: Annotated[
        str, typer.Option("--format", help="jsonl (one finding per line) or table.")
    ] = "jsonl",
) -> None:
    """Scan HAR files for secrets exactly as the egress proxy would. Exit 1 on findings.

    Example: bb dlp scan session.har --env-file .env
    """
    for path in [*har, *([env_file] if env_file else [])]:
        if not path.is_file():
            print(f"error: {path}: no such file", file=sys.stderr)
            raise typer.Exit(2)
    from bb_dlp.cli import main

    files = ["--env-file", str(env_file)] if env_file else []
    args = [*files, "--detectors", detectors, "--format", output_format, *map(str, har)]
    raise typer.Exit(main(args))
