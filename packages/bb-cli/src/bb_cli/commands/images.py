"""``bb images``: build the bottle's container images (filled in by the foundation work)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Build and list bot-bottle's container images.", no_args_is_help=True)


@app.command("build")
def build() -> None:
    """Build every image (work in progress)."""
    raise typer.Exit(1)
