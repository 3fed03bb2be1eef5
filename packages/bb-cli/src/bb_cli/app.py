"""The ``bb`` command tree.

Each command group lives in its own module under ``bb_cli.commands`` and is registered
here. Heavy libraries (docker, textual, the DLP engine's process) are imported inside the
commands that need them, so ``bb --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bb_cli.commands import audit as audit_cmd
from bb_cli.commands import bottles, commit, doctor, images, queue_history, run
from bb_cli.commands import dlp as dlp_cmd
from bb_cli.commands import logs as logs_cmd
from bb_cli.commands import queue as queue_cmd
from bb_cli.commands import routes as routes_cmd
from bb_cli.commands import snapshots as snapshots_cmd
from bb_cli.commands import supervise as supervise_cmd
from bb_cli.commands import transfer as transfer_cmd
from bb_cli.commands._common import BbGroup

app = typer.Typer(
    name="bb",
    help="bot-bottle: run AI coding agents unattended, without handing them the keys.\n\n"
    "Example: bb start shell",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish)
    cls=BbGroup,  # every command's errors: one line and a documented exit code
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from bb_cli._version import __version__

        typer.echo(f"bb {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print bb's version and exit.",
        ),
    ] = False,
) -> None:
    """bot-bottle: run AI coding agents unattended, without handing them the keys.

    Example: bb start shell
    """


bottles.register(app)
app.command("run")(run.run)
app.command("commit")(commit.commit)
app.add_typer(snapshots_cmd.app, name="snapshots")
app.command("cp")(transfer_cmd.cp)
app.command("doctor")(doctor.doctor)
app.add_typer(images.app, name="images")
queue_cmd.app.command("history", epilog=queue_history.EPILOG)(queue_history.history)
app.add_typer(queue_cmd.app, name="queue")
app.command("supervise")(supervise_cmd.supervise)
app.add_typer(dlp_cmd.app, name="dlp")
app.command("audit", epilog=audit_cmd.EPILOG)(audit_cmd.audit)
app.add_typer(routes_cmd.app, name="routes")
app.command("logs", epilog=logs_cmd.EPILOG)(logs_cmd.logs)


def main() -> None:
    """Run the CLI."""
    app()
