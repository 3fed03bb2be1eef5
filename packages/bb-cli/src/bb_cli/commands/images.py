"""``bb images``: build bot-bottle's container images and list the local ones."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from bb_cli.commands._common import require_engine
from bb_cli.errors import UsageError

app = typer.Typer(help="Build and list bot-bottle's container images.", no_args_is_help=True)


@app.command("build")
def build(
    component: Annotated[
        list[str] | None,
        typer.Argument(
            help="Components to build (egress, supervise, gitgate, agent, agent-claude, "
            "agent-codex); all by default."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even when up to date.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Build every image, making the Debian base locally when no registry answers.

    The runtime images (agent-claude, agent-codex) add the CLI pinned in
    images/agent-clis.lock.json, fetched on the host with npm and checked against its sha512.
    Nothing is built (or downloaded) unless the Docker engine answers first.

    Example: bb images build egress agent
    """
    from rich.console import Console

    from bb_cli.images import COMPONENTS, build_images, find_source_tree
    from bb_cli.images.console import RichReporter

    wanted = component or list(COMPONENTS)
    unknown = sorted(set(wanted) - set(COMPONENTS))
    if unknown:
        raise UsageError(
            f"unknown component(s) {', '.join(unknown)}; choose from {', '.join(COMPONENTS)}"
        )
    require_engine()
    console = Console(stderr=True)
    started = time.monotonic()
    root = find_source_tree()
    with RichReporter(console) as reporter:
        outcomes = build_images(
            root,
            reporter,
            components=[c for c in COMPONENTS if c in wanted],
            force=force,
        )
    total = time.monotonic() - started
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "seconds": round(total, 2),
                    "images": [
                        {
                            "component": o.component,
                            "ref": o.ref,
                            "status": o.status,
                            "seconds": round(o.seconds, 2),
                        }
                        for o in outcomes
                    ],
                },
                indent=2,
            )
        )
    else:
        console.print(f"[bold]{len(outcomes)} image(s) ready in {total:.1f}s[/]")


@app.command("list")
def list_images(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List the local bot-bottle images and the protocol version each speaks.

    Example: bb images list --json
    """
    require_engine()
    from rich.console import Console
    from rich.table import Table

    from bb_cli.engine import default_engine
    from bb_cli.images.catalog import (
        COMPONENTS,
        LABEL_COMPONENT,
        LABEL_PROTOCOL,
        LABEL_VERSION,
    )

    engine = default_engine()
    rows: list[dict[str, str]] = []
    for component in COMPONENTS:
        for ref in engine.list_images(f"{LABEL_COMPONENT}={component}"):
            labels = engine.image_labels(ref)
            rows.append(
                {
                    "component": component,
                    "ref": ref,
                    "version": labels.get(LABEL_VERSION, ""),
                    "protocol": labels.get(LABEL_PROTOCOL, ""),
                }
            )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("component", "image", "version", "protocol")
    for row in rows:
        table.add_row(row["component"], row["ref"], row["version"], row["protocol"])
    Console().print(table)


@app.command("bump-clis")
def bump_clis(
    claude: Annotated[
        str | None, typer.Option("--claude", help="Pin this Claude Code release, not the latest.")
    ] = None,
    codex: Annotated[
        str | None, typer.Option("--codex", help="Pin this Codex release, not the latest.")
    ] = None,
) -> None:
    """Re-pin the agent CLIs (images/agent-clis.lock.json) to the registry's latest releases.

    Asks the registry through npm (`npm view`) for each version and its integrity, and
    rewrites the lock; the next `bb images build` fetches, verifies and builds them.
    Review and commit the lock change like any dependency bump.

    Example: bb images bump-clis --claude 2.0.14
    """
    from rich.console import Console

    from bb_cli.images import find_source_tree
    from bb_cli.images.clis import bump_lock, load_lock, write_lock

    console = Console(stderr=True)
    wanted = {k: v for k, v in (("claude", claude), ("codex", codex)) if v}
    root = find_source_tree()
    lock, changes = bump_lock(load_lock(root), wanted=wanted)
    write_lock(root, lock)
    if not changes:
        console.print("the agent CLIs are already pinned to those versions")
    for name, (old, new) in sorted(changes.items()):
        console.print(f"{name}: {old} -> {new}")


@app.command("fetch-clis")
def fetch_clis() -> None:
    """Fetch the pinned agent CLIs with npm into the cache and verify them (no build).

    What `bb images build` does first for agent-claude and agent-codex; run it alone to
    prepare a machine (or a CI image) while the registry is reachable.

    Example: bb images fetch-clis
    """
    from rich.console import Console

    from bb_cli.images import cache_dir, find_source_tree
    from bb_cli.images.clis import fetch_cli, load_lock
    from bb_cli.images.console import RichReporter

    console = Console(stderr=True)
    root = find_source_tree()
    with RichReporter(console) as reporter:
        for name, pin in load_lock(root).clis.items():
            path = fetch_cli(name, pin, cache_dir(), reporter)
            reporter.done(f"{name}: {pin.spec} verified ({path})")


def _register_registry_commands() -> None:
    """``bb images publish`` and ``bb images index`` (`bb_cli.commands.images_registry`)."""
    from bb_cli.commands.images_registry import index, publish

    app.command("publish")(publish)
    app.command("index")(index)


_register_registry_commands()
