"""The ``bb`` command tree.

Each command group lives in its own module under ``bb_cli.commands`` and is registered
here. Heavy libraries (docker, textual, the DLP engine's process) are imported inside the
commands that need them, so ``bb --help`` stays fast.
"""

from __future__ import annotations

import typer

from bb_cli.commands import bottles, commit, doctor, images, run
from bb_cli.commands import audit as audit_cmd
from bb_cli.commands import dlp as dlp_cmd
from bb_cli.commands import logs as logs_cmd
from bb_cli.commands import queue as queue_cmd
from bb_cli.commands import queue_history
from bb_cli.commands import routes as routes_cmd
from bb_cli.commands import supervise as supervise_cmd

app = typer.Typer(
    name="bb",
    help="bot-bottle: run AI coding agents unattended, without handing them the keys.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

bottles.register(app)
app.command("run")(run.run)
app.command("commit")(commit.commit)
app.command("doctor")(doctor.doctor)
app.add_typer(images.app, name="images")
queue_cmd.app.command("history", epilog=queue_history.EPILOG)(queue_history.history)
app.add_typer(queue_cmd.app, name="queue")
app.command("supervise")(supervise_cmd.supervise)
app.add_typer(dlp_cmd.app, name="dlp")
app.command("audit", epilog=audit_cmd.EPILOG)(audit_cmd.audit)
app.add_typer(routes_cmd.app, name="routes")
# After bottles.register: this ``logs`` (all components, --tail, --since) replaces the one
# bottles.py registered.
app.command("logs", epilog=logs_cmd.EPILOG)(logs_cmd.logs)


def main() -> None:
    """Run the CLI."""
    app()
