"""Bottle lifecycle commands: start, resume, list, info, exec, attach, logs, stop, rm.

Each is a thin adapter: parse arguments, build a `BottleSpec`/look up a record, call the
backend, print (rich for people, ``--json`` for scripts). Heavy imports stay inside.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Annotated

import typer

from bb_cli.commands._common import fail, handle_errors

__all__ = ["register"]

COMPONENTS = ("agent", "egress", "supervise", "gitgate", "watchdog")


def _plan(
    agent: str, slug: str | None, tests: dict[str, str | None], backend: str = "compose"
) -> object:
    from bb_cli.egress_plan import SecretMissingError
    from bb_cli.errors import StartError
    from bb_cli.images import ImageError, resolve_image
    from bb_cli.manifests import ManifestIndex
    from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity
    from bb_protocol.paths import bottle_dir
    from bb_protocol.routes import RoutesError

    spec = BottleSpec(agent=agent, index=ManifestIndex.default(), slug=slug, backend=backend,
                      test_egress_subnet=tests.get("egress_subnet"),
                      test_forge_network=tests.get("forge_network"),
                      observe=tests.get("observe") == "1")  # fmt: skip
    try:
        return BottlePlan.resolve(
            spec,
            environ=os.environ,
            image_for=resolve_image,  # type: ignore[arg-type]
            state_dir=bottle_dir,
            host=HostIdentity(os.getuid(), os.getgid()),
        )
    except ImageError as exc:
        raise StartError("resolve images", str(exc), "run `bb images build`") from None
    except (SecretMissingError, RoutesError) as exc:
        raise StartError("prepare egress", str(exc)) from None


def _pick_agent() -> str:
    from rich.console import Console
    from rich.prompt import Prompt

    from bb_cli.manifests import ManifestIndex

    names = sorted(ManifestIndex.default().agents())
    if not names:
        raise fail("no agent manifests found; see `bb start --help`", 2)
    if not sys.stdin.isatty():
        raise fail(f"name an agent: bb start AGENT (one of: {', '.join(names)})", 2)
    return Prompt.ask("agent", choices=names, default=names[0], console=Console(stderr=True))


def _launch(
    agent: str,
    slug: str | None,
    as_json: bool,
    tests: dict[str, str | None] | None = None,
    agent_image: str | None = None,
    backend: str = "compose",
    planned: object | None = None,
) -> object:
    """Resolve (or take ``planned``), record and start a bottle; return its `BottlePlan`.

    ``planned`` lets `bb_cli.commands.run.run_planned` (and tests, with plan overrides the
    command line never exposes) start an already-resolved plan.
    """
    from rich.console import Console

    from bb_cli.backends import get_bottle_backend
    from bb_cli.backends.compose import project_name
    from bb_cli.errors import StartError
    from bb_cli.images import ensure_images
    from bb_cli.images.console import RichReporter
    from bb_cli.plan import BottlePlan
    from bb_cli.state import BottleRecord, find_record, save_record

    console = Console(stderr=True)
    try:
        plan = planned if planned is not None else _plan(agent, slug, tests or {}, backend)
    except StartError as exc:
        if exc.step != "resolve images":
            raise
        from bb_cli.manifests import ManifestIndex
        from bb_cli.plan import image_components

        needed = image_components(ManifestIndex.default().load_for_agent(agent)).values()
        with RichReporter(console) as reporter:  # first use: build what this bottle needs
            try:
                ensure_images(reporter, needed)  # type: ignore[arg-type]
            except Exception as error:
                raise StartError("build images", str(error), "run `bb images build`") from None
        plan = _plan(agent, slug, tests or {}, backend)
    assert isinstance(plan, BottlePlan)
    if agent_image is not None:  # `bb resume` of a committed bottle boots its snapshot
        import dataclasses

        plan = dataclasses.replace(plan, images={**plan.images, "agent": agent_image})
    created = {}
    if slug is not None:  # resume: the bottle keeps its creation time
        created = {"created_at": find_record(slug).created_at}
    save_record(
        BottleRecord(
            **created,
            slug=plan.slug,
            agent=agent,
            bottle=plan.manifest.bottle.name,
            runtime=plan.manifest.agent.runtime,
            backend=plan.backend,
            project=project_name(plan.slug),
            agent_container=plan.agent_container,
            supervised=plan.manifest.bottle.supervise,
            test_options={k: v for k, v in (tests or {}).items() if v},
            sources=plan.manifest.sources,
        )
    )

    began: dict[str, float] = {}

    def progress(step: str, state: str) -> None:
        if state == "start":
            began[step] = time.monotonic()
            console.print(f"[cyan]…[/] {step}")
        else:
            console.print(f"[green]✓[/] {step} [dim]({time.monotonic() - began[step]:.1f}s)[/]")

    if any(repo.forge for repo in plan.manifest.agent.repos):
        from bb_cli.repo_keys import deprovision_keys, provision_keys

        progress("provision deploy keys", "start")
        provision_keys(plan, os.environ)
        progress("provision deploy keys", "done")
        try:
            get_bottle_backend(plan.backend).start(plan, progress)
        except BaseException:
            deprovision_keys(plan.state_dir, plan.slug, os.environ)
            raise
    else:
        get_bottle_backend(plan.backend).start(plan, progress)
    if as_json:
        typer.echo(json.dumps({"slug": plan.slug, "agent_container": plan.agent_container}))
    else:
        console.print(f"[bold green]bottle {plan.slug} is running[/]: "
                      f"`bb attach {plan.slug}`, `bb exec {plan.slug} -- CMD`")  # fmt: skip
    return plan


@handle_errors
def start(
    agent: Annotated[
        str | None, typer.Argument(help="Agent manifest name (picker if omitted).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print slug and container as JSON.")
    ] = False,
    test_egress_subnet: Annotated[
        str | None, typer.Option("--test-egress-subnet", hidden=True, help="Tests only.")
    ] = None,
    test_forge_network: Annotated[
        str | None, typer.Option("--test-forge-network", hidden=True, help="Tests only.")
    ] = None,
    backend: Annotated[
        str,
        typer.Option("--backend", help="compose, apple-container or smolvm (see `bb doctor`)."),
    ] = "compose",
    observe: Annotated[
        bool,
        typer.Option(
            "--observe",
            help="Record every refused request in full (still refused: nothing unknown gets "
            "out) so `bb routes suggest SLUG` can propose routes; kept by `bb resume`.",
        ),
    ] = False,
) -> None:
    """Start a bottle for AGENT (builds images on first use)."""
    from bb_cli.backends import BACKENDS

    if backend not in BACKENDS:
        raise fail(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}", 2)
    tests = {  # observe is kept in the record (test_options) so `bb resume` keeps it
        "egress_subnet": test_egress_subnet,
        "forge_network": test_forge_network,
        "observe": "1" if observe else None,
    }
    _launch(agent or _pick_agent(), None, as_json, tests, backend=backend)


@handle_errors
def resume(
    slug: Annotated[str | None, typer.Argument(help="Bottle slug (the newest if omitted).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Start an existing bottle again: same slug and volumes, fresh canary.

    A bottle saved with `bb commit` boots from its snapshot (with a warning, from the
    normal image if the snapshot is gone).
    """
    from bb_cli.state import find_record, list_records

    if slug is None:
        records = list_records()
        if not records:
            raise fail("no bottles to resume; start one with `bb start`", 3)
        slug = records[-1].slug
    from bb_cli.commands.commit import resume_image

    record = find_record(slug)
    _launch(record.agent, record.slug, as_json, dict(record.test_options),
            agent_image=resume_image(record.slug, record.backend),
            backend=record.backend)  # fmt: skip


@handle_errors
def list_bottles(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List bottles on this host and their state."""
    from bb_cli.backends import get_bottle_backend
    from bb_cli.state import list_records

    records = list_records()
    statuses = {}
    for backend in sorted({r.backend for r in records}):  # one listing per backend, not per bottle
        slugs = [r.slug for r in records if r.backend == backend]
        statuses.update(get_bottle_backend(backend).statuses(slugs))
    rows = []
    for record in records:
        status = statuses[record.slug]
        rows.append({**json.loads(record.model_dump_json()), "state": status.state,
                     "containers": status.containers})  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("slug", "agent", "bottle", "runtime", "state", "created")
    for row in rows:
        table.add_row(row["slug"], row["agent"], row["bottle"], row["runtime"], row["state"],
                      str(row["created_at"])[:19])  # fmt: skip
    Console().print(table)


@handle_errors
def info(
    name: Annotated[str, typer.Argument(help="A bottle slug or an agent name.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a bottle (by slug) or what an agent would run (by agent name)."""
    from bb_cli.errors import BottleNotFoundError
    from bb_cli.manifests import ManifestIndex
    from bb_cli.state import find_record

    try:
        record = find_record(name)
    except BottleNotFoundError:
        record = None
    if record is not None:
        from bb_cli.backends import get_bottle_backend

        status = get_bottle_backend(record.backend).status(record.slug)
        data = {**json.loads(record.model_dump_json()), "state": status.state,
                "containers": status.containers}  # fmt: skip
    else:
        loaded = ManifestIndex.default().load_for_agent(name)
        data = json.loads(loaded.model_dump_json(exclude={"agent": {"instructions"}}))
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        from rich.console import Console
        from rich.pretty import Pretty

        Console().print(Pretty(data))


@handle_errors
def exec_(
    slug: Annotated[str, typer.Argument(help="Bottle slug.")],
    command: Annotated[list[str], typer.Argument(help="Command to run (after --).")],
    tty: Annotated[bool, typer.Option("--tty/--no-tty", "-t", help="Allocate a terminal.")] = False,
) -> None:
    """Run a command inside the agent container: bb exec SLUG -- CMD..."""
    from bb_cli.backends import get_bottle_backend
    from bb_cli.state import find_record

    record = find_record(slug)
    if command and command[0] == "--":  # click keeps the separator when options are off
        command = command[1:]
    if not command:
        raise fail("name a command: bb exec SLUG -- CMD...", 2)
    raise typer.Exit(get_bottle_backend(record.backend).exec(slug, command, tty=tty))


@handle_errors
def attach(
    slug: Annotated[str, typer.Argument(help="Bottle slug.")],
    shell: Annotated[bool, typer.Option("--shell", help="A shell instead of the runtime.")] = False,
) -> None:
    """Run the agent's runtime (claude, codex, or a shell) interactively in its bottle."""
    from bb_cli.backends import get_bottle_backend
    from bb_cli.backends.compose.render import SUPERVISE_URL
    from bb_cli.runtimes import attach_command
    from bb_cli.state import find_record

    record = find_record(slug)
    runtime = "shell" if shell else record.runtime
    argv = attach_command(runtime, SUPERVISE_URL if record.supervised else None)
    raise typer.Exit(get_bottle_backend(record.backend).attach(slug, argv))


@handle_errors
def logs(
    slug: Annotated[str, typer.Argument(help="Bottle slug.")],
    component: Annotated[
        str, typer.Option("--component", "-c", help="agent|egress|supervise|gitgate|watchdog")
    ] = "agent",
    follow: Annotated[bool, typer.Option("--follow", "-f")] = False,
) -> None:
    """Print the logs of one component of a bottle."""
    from bb_cli.backends import get_bottle_backend
    from bb_cli.state import find_record

    if component not in COMPONENTS:
        raise fail(f"unknown component {component!r}; choose from {', '.join(COMPONENTS)}", 2)
    record = find_record(slug)
    raise typer.Exit(get_bottle_backend(record.backend).logs(slug, component, follow=follow))


@handle_errors
def stop(slug: Annotated[str, typer.Argument(help="Bottle slug.")]) -> None:
    """Stop a bottle's containers (keep them and its volumes; `bb resume` restarts)."""
    from bb_cli.backends import get_bottle_backend
    from bb_cli.state import find_record

    get_bottle_backend(find_record(slug).backend).stop(slug)
    print(f"stopped {slug}", file=sys.stderr)


@handle_errors
def rm(slug: Annotated[str, typer.Argument(help="Bottle slug.")]) -> None:
    """Remove a bottle's containers, networks and volumes; keep its audit trail on the host.

    The host state (audit log, approval archive, routes) moves to ``<state>/removed/`` so a
    removed bottle's history is never lost.
    """
    import shutil
    import time

    from bb_cli.backends import get_bottle_backend
    from bb_cli.errors import BackendError
    from bb_cli.repo_keys import deprovision_keys
    from bb_cli.state import find_record
    from bb_protocol.paths import bottle_dir, state_dir

    record = find_record(slug)
    try:
        removed = deprovision_keys(bottle_dir(slug), slug, os.environ)
    except LookupError as exc:
        raise BackendError(f"{exc}; export it and run `bb rm {slug}` again") from None
    if removed:
        print(f"removed {removed} deploy key(s) from the forge", file=sys.stderr)
    get_bottle_backend(record.backend).remove(slug)
    archive = state_dir() / "removed" / f"{slug}-{int(time.time())}"
    archive.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(bottle_dir(slug), archive)
    print(f"removed {slug} (its audit trail is kept in {archive})", file=sys.stderr)
    from bb_cli.freeze import read_committed_image

    committed = read_committed_image(slug, archive)
    if committed is not None and committed.preserved:  # `bb commit` asked to keep it
        print(f"kept its snapshot {committed.image} (bb rm never deletes a committed image)",
              file=sys.stderr)  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the lifecycle commands to ``app``."""
    app.command("start")(start)
    app.command("resume")(resume)
    app.command("list")(list_bottles)
    app.command("info")(info)
    app.command("exec", context_settings={"allow_interspersed_args": False})(exec_)
    app.command("attach")(attach)
    app.command("logs")(logs)
    app.command("stop")(stop)
    app.command("rm")(rm)
