"""``bb logs``: the logs of a bottle's components, all at once (prefixed) or one.

Like ``docker compose logs``: every component interleaved, each line prefixed with its
component, or one component (``-c``) without prefixes. A component the bottle does not
have gets a sentence saying why (no git gate without repos, no watchdog on an engine with
volume quotas) instead of the engine's ``no such service``; a stopped bottle's logs are
still shown, with a line saying it is stopped and how to start it; following needs it
running.
"""

from __future__ import annotations

import sys
from typing import Annotated, Final

import typer

__all__ = ["EPILOG", "absent_reason", "logs"]


EPILOG: Final = """\
Examples:

  bb logs quiet-otter                   # every component, prefixed, like docker compose logs

  bb logs quiet-otter -c egress -f      # follow the egress proxy

  bb logs quiet-otter --tail 50 --since 10m
"""

_WHY_ABSENT: Final = {
    "gitgate": "this bottle has no git gate (its agent names no repos)",
    "watchdog": "this bottle has no storage watchdog (the engine enforces volume quotas, "
    "or the backend has none)",
    "supervise": "this bottle has no supervise sidecar (its manifest says supervise: false)",
}


def absent_reason(slug: str, component: str) -> str:
    """Why bottle ``slug`` has no ``component`` (pure)."""
    why = _WHY_ABSENT.get(component, f"this bottle has no {component} container")
    return f"{slug}: {why}"


def logs(
    slug: Annotated[str, typer.Argument(help="Bottle slug (see `bb list`).", show_default=False)],
    component: Annotated[
        list[str] | None,
        typer.Option(
            "--component",
            "-c",
            help="Only this component: agent, egress, supervise, gitgate or watchdog; repeat "
            "for several (default: all, prefixed).",
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines (Ctrl-C stops).")
    ] = False,
    tail: Annotated[
        int | None,
        typer.Option("--tail", "-n", min=0, help="Only the last N lines of each component."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only lines after this: a duration (10m, 2h) or a time (RFC 3339)."
        ),
    ] = None,
) -> None:
    """Print a bottle's logs: every component at once, prefixed, or one with -c."""
    from bb_cli.backends import get_bottle_backend
    from bb_cli.commands._common import fail
    from bb_cli.errors import BackendError
    from bb_cli.plan import ROLES
    from bb_cli.state import find_record

    wanted = list(dict.fromkeys(component or ()))
    unknown = [c for c in wanted if c not in ROLES]
    if unknown:
        raise fail(f"unknown component {unknown[0]!r}; choose from {', '.join(ROLES)}", 2)
    record = find_record(slug)
    backend = get_bottle_backend(record.backend)
    status = backend.status(slug)
    if status.state == "absent":
        raise BackendError(
            f"bottle {slug} has no containers, so no logs (removed outside bb?); "
            f"`bb resume {slug}` recreates it"
        )
    for name in wanted:
        if name not in status.containers:
            raise fail(absent_reason(slug, name), 3)
    if status.state != "running":
        if follow:
            raise BackendError(
                f"bottle {slug} is {status.state}: its logs do not grow, so there is nothing to "
                f"follow; `bb resume {slug}` starts it again (or drop -f to read them)"
            )
        print(
            f"note: bottle {slug} is {status.state}; `bb resume {slug}` starts it again",
            file=sys.stderr,
        )
    raise typer.Exit(backend.logs(slug, wanted, follow=follow, tail=tail, since=since))
