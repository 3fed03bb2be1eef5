"""Bottle lifecycle commands: start, resume, list, info, exec, attach, stop, rm.

Each is a thin adapter: parse arguments, check the engine, look up a record or build a
`bb_cli.lifecycle.LaunchRequest`, call the lifecycle or the backend, print (rich for people,
``--json`` for scripts). Launching and removing are `bb_cli.lifecycle`'s; heavy imports stay
inside.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from bb_cli.commands._common import BackendOption, fail, handle_errors, require_engine
from bb_cli.lifecycle import LaunchRequest

if TYPE_CHECKING:
    from rich.console import Console

    from bb_cli.plan import BottlePlan
    from bb_cli.state import BottleRecord

__all__ = ["StepPrinter", "register"]


def warn_ignored_manifests() -> None:
    """Warn (stderr) about files in a manifest directory that are not read, and why."""
    from bb_cli.manifests import ManifestIndex

    for path, why in ManifestIndex.default().ignored():
        print(f"warning: ignored {path}: {why}", file=sys.stderr)


DEFAULT_AGENT = "shell"
"""The picker's default: the bundled agent that works without any API key."""


def _pick_agent() -> str:
    from rich.console import Console
    from rich.prompt import Prompt

    from bb_cli.manifests import ManifestIndex

    index = ManifestIndex.default()
    warn_ignored_manifests()
    names = sorted(index.agents())
    if not names:
        raise fail("no agent manifests found; see `bb start --help`", 2)
    if not sys.stdin.isatty():
        raise fail(f"name an agent: bb start AGENT (one of: {', '.join(names)})", 2)
    console = Console(stderr=True)
    for name in names:
        console.print(f"  [bold]{name}[/]  {index.describe_agent(name)}", highlight=False)
    default = DEFAULT_AGENT if DEFAULT_AGENT in names else names[0]
    return Prompt.ask("agent", choices=names, default=default, console=console)


class StepPrinter:
    """`bb start`'s progress: one line per step.

    On a terminal the running step is a live status line and only its result is printed
    (``✓ step (1.2s)``); elsewhere each finished step is one plain line. A failed step is
    named by the `StartError` it raises.
    """

    def __init__(self, console: Console) -> None:
        self._console = console
        self._began: dict[str, float] = {}
        self._status = console.status("", spinner="dots") if console.is_terminal else None

    def __call__(self, step: str, state: str) -> None:
        if state == "start":
            self._began[step] = time.monotonic()
            if self._status is not None:
                self._status.update(f"{step}…")
                self._status.start()
            return
        self.stop()
        took = time.monotonic() - self._began.get(step, time.monotonic())
        if self._console.is_terminal:
            self._console.print(f"[green]✓[/] {step} [dim]({took:.1f}s)[/]")
        else:
            self._console.print(f"ok {step} ({took:.1f}s)", highlight=False)

    def stop(self) -> None:
        """Remove the live status line (before an error or the final message)."""
        if self._status is not None:
            self._status.stop()


def _launch(request: LaunchRequest, as_json: bool) -> BottlePlan:
    """`bb_cli.lifecycle.launch` with ``bb start``'s progress lines and final message."""
    from rich.console import Console

    from bb_cli.images.console import RichReporter
    from bb_cli.lifecycle import launch

    console = Console(stderr=True)
    progress = StepPrinter(console)
    try:
        plan = launch(request, progress=progress, reporter=lambda: RichReporter(console)).plan
    finally:
        progress.stop()
    if as_json:
        typer.echo(json.dumps({"slug": plan.slug, "agent_container": plan.agent_container}))
    else:
        console.print(
            f"[bold green]bottle {plan.slug} is running[/]: "
            f"`bb attach {plan.slug}`, `bb exec {plan.slug} -- CMD`"
        )
    return plan


JsonOption = Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")]


def _record(slug: str) -> BottleRecord:
    """The bottle's record, after checking its engine answers (exit 3 or 4 otherwise)."""
    from bb_cli.state import find_record

    record = find_record(slug)
    require_engine(record.backend)
    return record


def _require_running(record: BottleRecord, what: str) -> None:
    """Refuse ``what`` on a bottle that is not running, saying how to start it again."""
    from bb_cli.backends import get_bottle_backend
    from bb_cli.errors import BottleStoppedError

    state = get_bottle_backend(record.backend).status(record.slug).state
    if state == "running":
        return
    if state == "absent":
        raise BottleStoppedError(
            f"bottle {record.slug} has no containers (removed outside bb?); "
            f"`bb resume {record.slug}` recreates them, `bb rm {record.slug}` forgets it"
        )
    raise BottleStoppedError(
        f"bottle {record.slug} is {state}, not running: {what} needs it running; "
        f"`bb resume {record.slug}` starts it again"
    )


@handle_errors
def start(
    agent: Annotated[
        str | None,
        typer.Argument(help="Agent manifest name (a picker, defaulting to shell, if omitted)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print slug and container as JSON.")
    ] = False,
    backend: BackendOption = "compose",
    observe: Annotated[
        bool,
        typer.Option(
            "--observe",
            help="Record every refused request in full (still refused: nothing unknown gets "
            "out) so `bb routes suggest SLUG` can propose routes; kept by `bb resume`.",
        ),
    ] = False,
) -> None:
    """Start a bottle for AGENT (builds images on first use).

    Example: bb start shell
    """
    from bb_cli.backends import BACKENDS

    if backend not in BACKENDS:
        raise fail(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}", 2)
    require_engine(backend)  # before the picker: no question asked that cannot be acted on
    if agent is not None:
        warn_ignored_manifests()
    request = LaunchRequest(agent or _pick_agent(), observe=observe, backend=backend)
    _launch(request, as_json)


@handle_errors
def resume(
    slug: Annotated[str | None, typer.Argument(help="Bottle slug (the newest if omitted).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print slug and container as JSON.")
    ] = False,
    snapshot: Annotated[
        str | None,
        typer.Option(
            "--snapshot",
            help="Boot this snapshot (`bb snapshots ls`); of a removed bottle: a new bottle.",
        ),
    ] = None,
) -> None:
    """Start an existing bottle again: same slug and volumes, fresh canary.

    A bottle saved with `bb commit` boots from its snapshot (it says so; with a warning, from
    the normal image if the snapshot is gone).

    Example: bb resume shell-3f2a   (or: bb resume --snapshot REF, from `bb snapshots ls`)
    """
    from bb_cli.state import list_records

    if snapshot is not None:
        _resume_snapshot(snapshot, slug, as_json)
        return
    if slug is None:
        records = list_records()
        if not records:
            raise fail("no bottles to resume; start one with `bb start`", 3)
        slug = records[-1].slug
    from bb_cli.commands.commit import resume_image

    record = _record(slug)
    image = resume_image(record.slug, record.backend)
    if image is not None:
        print(
            f"booting {record.slug} from its snapshot {image} (made by `bb commit`)",
            file=sys.stderr,
        )
    _warn_ignored_options(record)
    request = LaunchRequest(
        record.agent,
        slug=record.slug,
        observe=record.observe,
        backend=record.backend,
        agent_image=image,
        pinned=record.images,
    )
    _launch(request, as_json)


def _warn_ignored_options(record: BottleRecord) -> None:
    """Say that an older record's test-only options are dropped, not re-applied."""
    if record.ignored_options:
        names = ", ".join(record.ignored_options)
        print(
            f"warning: bottle {record.slug}'s record (from an older bb) keeps test-only "
            f"options ({names}); ignored: `bb resume` never applies test hooks",
            file=sys.stderr,
        )


def _resume_snapshot(ref: str, slug: str | None, as_json: bool) -> None:
    """Boot ``ref``: its bottle again if it still exists, else a new bottle of its agent."""
    from bb_cli.commands.snapshots import snapshot_bottle

    require_engine()
    record, live = snapshot_bottle(ref)
    if slug is not None and slug != record.slug:
        raise fail(f"snapshot {ref} is of bottle {record.slug}, not {slug}", 2)
    if live:
        print(f"booting {record.slug} from its snapshot {ref}", file=sys.stderr)
        _warn_ignored_options(record)
        request = LaunchRequest(
            record.agent,
            slug=record.slug,
            observe=record.observe,
            backend=record.backend,
            agent_image=ref,
        )
        _launch(request, as_json)
        return
    print(
        f"bottle {record.slug} was removed: starting a new {record.agent} bottle from its "
        f"snapshot {ref}",
        file=sys.stderr,
    )
    _warn_ignored_options(record)
    request = LaunchRequest(
        record.agent, observe=record.observe, backend=record.backend, agent_image=ref
    )
    _launch(request, as_json)


@handle_errors
def list_bottles(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List bottles on this host and their state (aliases: ls, ps).

    Example: bb list --json
    """
    from bb_cli.backends import get_bottle_backend
    from bb_cli.state import list_records

    records = list_records()
    backends = sorted({r.backend for r in records})
    for backend in backends:  # every engine first: a listing is complete or not printed
        require_engine(backend)
    statuses = {}
    for backend in backends:  # one listing per backend, not per bottle
        slugs = [r.slug for r in records if r.backend == backend]
        statuses.update(get_bottle_backend(backend).statuses(slugs))
    rows = []
    for record in records:
        status = statuses[record.slug]
        rows.append(
            {
                **json.loads(record.model_dump_json()),
                "state": status.state,
                "containers": status.containers,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("slug", "agent", "bottle", "runtime", "state", "created")
    for row in rows:
        table.add_row(
            row["slug"],
            row["agent"],
            row["bottle"],
            row["runtime"],
            row["state"],
            str(row["created_at"])[:19],
        )
    Console().print(table)


@handle_errors
def info(
    name: Annotated[str, typer.Argument(help="A bottle slug or an agent name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show a bottle (by slug) or what an agent would run (by agent name), as YAML.

    Example: bb info shell
    """
    from bb_cli.errors import BottleNotFoundError
    from bb_cli.manifests import ManifestIndex
    from bb_cli.state import find_record

    try:
        record = find_record(name)
    except BottleNotFoundError:
        record = None
    if record is not None:
        from bb_cli.backends import get_bottle_backend

        require_engine(record.backend)
        status = get_bottle_backend(record.backend).status(record.slug)
        data = {
            **json.loads(record.model_dump_json()),
            "state": status.state,
            "containers": status.containers,
        }
    else:
        warn_ignored_manifests()
        loaded = ManifestIndex.default().load_for_agent(name)
        data = json.loads(loaded.model_dump_json(exclude={"agent": {"instructions"}}))
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        import yaml

        typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip("\n"))


@handle_errors
def exec_(
    slug: Annotated[str, typer.Argument(help="Bottle slug.")],
    command: Annotated[list[str], typer.Argument(help="Command to run (after --).")],
    tty: Annotated[bool, typer.Option("--tty/--no-tty", "-t", help="Allocate a terminal.")] = False,
) -> None:
    """Run a command inside the agent container: bb exec SLUG -- CMD...

    Example: bb exec shell-3f2a -- git status
    """
    from bb_cli.backends import get_bottle_backend

    if command and command[0] == "--":  # click keeps the separator when options are off
        command = command[1:]
    if not command:
        raise fail("name a command: bb exec SLUG -- CMD...", 2)
    record = _record(slug)
    _require_running(record, "`bb exec`")
    raise typer.Exit(get_bottle_backend(record.backend).exec(slug, command, tty=tty))


@handle_errors
def attach(
    slug: Annotated[str, typer.Argument(help="Bottle slug.")],
    shell: Annotated[bool, typer.Option("--shell", help="A shell instead of the runtime.")] = False,
) -> None:
    """Run the agent's runtime (claude, codex, or a shell) interactively in its bottle.

    Example: bb attach shell-3f2a --shell
    """
    from bb_cli.backends import get_bottle_backend
    from bb_cli.backends.compose.render import SUPERVISE_URL
    from bb_cli.runtimes import attach_command

    record = _record(slug)
    _require_running(record, "`bb attach`")
    runtime = "shell" if shell else record.runtime
    argv = attach_command(runtime, SUPERVISE_URL if record.supervised else None)
    raise typer.Exit(get_bottle_backend(record.backend).attach(slug, argv))


def _targets(slugs: list[str] | None, every: bool, verb: str) -> list[BottleRecord]:
    """The records named (or all with ``--all``), each engine checked once, first."""
    from bb_cli.state import find_record, list_records

    if every and slugs:
        raise fail(f"give slugs or --all, not both: bb {verb} --all", 2)
    if not every and not slugs:
        raise fail(f"name a bottle: bb {verb} SLUG... (or --all)", 2)
    records = list_records() if every else [find_record(s) for s in dict.fromkeys(slugs or ())]
    for backend in sorted({r.backend for r in records}):
        require_engine(backend)
    return records


SlugsArgument = Annotated[
    list[str] | None, typer.Argument(help="Bottle slugs.", show_default=False)
]
AllOption = Annotated[bool, typer.Option("--all", "-a", help="Every bottle on this host.")]


@handle_errors
def stop(
    slugs: SlugsArgument = None, every: AllOption = False, as_json: JsonOption = False
) -> None:
    """Stop bottles' containers (keep them and their volumes; `bb resume` restarts).

    Example: bb stop shell-3f2a codex-91bc   (or: bb stop --all)
    """
    from bb_cli.backends import get_bottle_backend

    done = []
    for record in _targets(slugs, every, "stop"):
        get_bottle_backend(record.backend).stop(record.slug)
        done.append({"slug": record.slug, "state": "stopped"})
        if not as_json:
            print(f"stopped {record.slug}", file=sys.stderr)
    if as_json:
        typer.echo(json.dumps(done, indent=2))


def _confirm_remove_running(records: list[BottleRecord], force: bool) -> None:
    """A running bottle's workspace is deleted by rm: ask on a terminal, else need -f."""
    from bb_cli.backends import get_bottle_backend

    if force:
        return
    running = [
        r.slug
        for r in records
        if get_bottle_backend(r.backend).status(r.slug).state in ("running", "partial")
    ]
    if not running:
        return
    names = ", ".join(running)
    if not sys.stdin.isatty():
        raise fail(
            f"{names} running: `bb rm` deletes its workspace and home volumes; "
            "add -f to remove anyway (or `bb stop` first)",
            2,
        )
    if not typer.confirm(f"{names} running; delete its workspace and home volumes?", err=True):
        raise fail("nothing removed", 1)


@handle_errors
def rm(
    slugs: SlugsArgument = None,
    every: AllOption = False,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Remove running bottles without asking.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove bottles' containers, networks and volumes; keep their audit trail on the host.

    The host state (audit log, approval archive, routes) moves to ``<state>/removed/`` so a
    removed bottle's history is never lost. A running bottle is removed only after a yes on
    the terminal, or with -f. Snapshots made by `bb commit` are kept.

    Example: bb rm -f shell-3f2a
    """
    records = _targets(slugs, every, "rm")
    _confirm_remove_running(records, force)
    done = [_remove(record, quiet=as_json) for record in records]
    if as_json:
        typer.echo(json.dumps(done, indent=2))


def _remove(record: BottleRecord, *, quiet: bool) -> dict[str, object]:
    """`bb_cli.lifecycle.remove`, saying what it did on stderr unless ``quiet``."""
    from bb_cli.lifecycle import remove

    def say(text: str) -> None:
        if not quiet:
            print(text, file=sys.stderr)

    return remove(record, say=say).as_json()


def register(app: typer.Typer) -> None:
    """Add the lifecycle commands to ``app``."""
    app.command("start")(start)
    app.command("resume")(resume)
    app.command("list")(list_bottles)
    app.command("ls", hidden=True)(list_bottles)
    app.command("ps", hidden=True)(list_bottles)
    app.command("info")(info)
    app.command("exec", context_settings={"allow_interspersed_args": False})(exec_)
    app.command("attach")(attach)
    app.command("stop")(stop)
    app.command("rm")(rm)
