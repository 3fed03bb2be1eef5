"""``bb routes``: a bottle's live routes with where each came from; add, remove, suggest.

``bb routes SLUG`` lists ``routes.yaml`` (first match wins, numbered from 0) with each
route's source (`bb_protocol.routes.RouteSource`). ``add`` and ``rm`` go through the very
path an approved ``egress-allow``/``egress-block`` takes (`bb_cli.applicator`): the
change is computed purely, validated by the shared schema, written atomically and the
proxy is told to reload; when anything fails nothing changes. ``suggest`` turns the
requests a bottle was refused (``bb start --observe``) into routes
(`bb_cli.route_suggest`).

Routes added here live until the bottle is started again: ``bb resume`` writes the
manifest's routes afresh. Keep a route for good by putting it in the bottle manifest
(``bb routes suggest --yaml`` prints a block to paste).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from bb_protocol.routes import Route, RoutesFile

__all__ = ["app"]


class _ShowByDefault(TyperGroup):
    """``bb routes SLUG`` means ``bb routes show SLUG`` (a slug is never a subcommand name)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Any: typer vendors click
        """Insert ``show`` before a first argument that names no subcommand."""
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_ShowByDefault,
    no_args_is_help=True,
    help="A bottle's live egress routes: show (with provenance), add, rm, suggest.",
    epilog="Examples:\n\n  bb routes quiet-otter\n\n"
    "  bb routes add quiet-otter api.example.com --method GET --path /v1/\n\n"
    "  bb routes rm quiet-otter 3\n\n  bb routes suggest quiet-otter --yaml",
)

_SLUG = Annotated[str, typer.Argument(help="Bottle slug (see `bb list`).", show_default=False)]


def _route_dict(route: Route) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(route.model_dump_json())
    data["port"] = route.effective_port
    data["source"] = route.source or "unknown"
    return data


def _applicator(slug: str) -> Any:
    from bb_cli.applicator import EgressApplicator
    from bb_cli.backends import get_bottle_backend
    from bb_cli.state import find_record
    from bb_protocol.paths import routes_file

    record = find_record(slug)
    return EgressApplicator(
        routes_file(slug), get_bottle_backend(record.backend).reload_signal(slug)
    )


def _print_routes(routes: RoutesFile, as_json: bool) -> None:
    rows = [{"index": i, **_route_dict(r)} for i, r in enumerate(routes.routes)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("#", "route", "methods", "paths", "source", "note")
    for i, route in enumerate(routes.routes):
        table.add_row(
            str(i),
            route.label(),
            ",".join(route.methods) if route.methods else "any",
            " ".join(route.paths) if route.paths else "any",
            route.source or "unknown",
            route.note or "",
        )
    Console(width=200 if not sys.stdout.isatty() else None).print(table)
    if not routes.routes:
        print("no routes: everything is denied", file=sys.stderr)


@app.command(
    "show",
    epilog=(
        "Examples:\n\n"
        "  bb routes quiet-otter        (same as: bb routes show quiet-otter)\n\n"
        "  bb routes show quiet-otter --json"
    ),
)
def show(
    slug: _SLUG,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the routes as a JSON list (index, fields).")
    ] = False,
) -> None:
    """Show the bottle's live routes in match order, with where each came from.

    Sources: manifest (the bottle manifest), runtime (the agent's own model API), approval
    (an approved egress-allow proposal), operator (`bb routes add`); unknown for files
    written before provenance was recorded.
    """
    _print_routes(_applicator(slug).current()[1], as_json)


def _routes_from_file(path: Path) -> list[Route]:
    from bb_cli.commands._common import fail
    from bb_protocol.routes import RoutesError, parse_routes

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}", 2) from None
    try:
        return list(parse_routes(text, source=str(path)).routes)
    except RoutesError as exc:
        raise fail(str(exc), 2) from None


def _route_from_options(entry: dict[str, Any]) -> Route:
    import yaml

    from bb_cli.commands._common import fail
    from bb_protocol.routes import RoutesError, parse_routes

    try:
        parsed = parse_routes(yaml.safe_dump({"routes": [entry]}), source="bb routes add")
    except RoutesError as exc:
        raise fail(str(exc), 2) from None
    return parsed.routes[0]


@app.command(
    "add",
    epilog=(
        "Examples:\n\n"
        "  bb routes add quiet-otter api.example.com -m GET -m POST -p /v1/\n\n"
        "  bb routes add quiet-otter --from suggested.yaml"
    ),
)
def add(
    slug: _SLUG,
    host: Annotated[
        str | None,
        typer.Argument(
            help="Host to allow (exact, or *.domain for its subdomains).", show_default=False
        ),
    ] = None,
    scheme: Annotated[str, typer.Option("--scheme", help="https or http.")] = "https",
    port: Annotated[
        int | None, typer.Option("--port", help="Port (default: 443 for https, 80 for http).")
    ] = None,
    methods: Annotated[
        list[str] | None,
        typer.Option("--method", "-m", help="Allowed method; repeat for several (default any)."),
    ] = None,
    paths: Annotated[
        list[str] | None,
        typer.Option("--path", "-p", help="Allowed path prefix; repeat (default any path)."),
    ] = None,
    on_match: Annotated[
        str | None,
        typer.Option("--on-match", help="When DLP finds a secret: redact, block or supervise."),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why the route exists.")] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from", help="Add every route of a routes YAML file (`suggest --write`)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the resulting routes as JSON.")
    ] = False,
) -> None:
    """Allow HOST (narrowed by method and path) now, through the approval path.

    Validated like a manifest route (a bad host, method or path is refused and nothing
    changes), written atomically and the proxy reloaded. Lasts until the bottle is started
    again; put it in the manifest to keep it.
    """
    from bb_cli.applicator.routes_change import added_routes
    from bb_cli.commands._common import fail

    if (host is None) == (from_file is None):
        raise fail("name a HOST or give --from FILE (one of them)", 2)
    if from_file is not None:
        new = _routes_from_file(from_file)
    else:
        entry: dict[str, Any] = {"host": host, "scheme": scheme}
        optional = {
            "port": port,
            "methods": methods,
            "paths": paths,
            "outbound_on_match": on_match,
            "note": note,
        }
        entry.update({k: v for k, v in optional.items() if v is not None})
        new = [_route_from_options(entry)]
    applicator = _applicator(slug)
    result = applicator.apply_change(lambda old: added_routes(old, new), "operator-add")
    print(f"{slug}: {len(new)} route(s) allowed; the proxy reloaded", file=sys.stderr)
    if as_json:
        _print_routes(result, True)


@app.command(
    "rm",
    epilog=(
        "Examples:\n\n  bb routes rm quiet-otter 3\n\n  bb routes rm quiet-otter api.example.com"
    ),
)
def rm(
    slug: _SLUG,
    target: Annotated[
        str,
        typer.Argument(
            help="A route number (from `bb routes SLUG`) or a host (all its routes).",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the resulting routes as JSON.")
    ] = False,
) -> None:
    """Remove route number INDEX, or every route of HOST, through the approval path."""
    from bb_cli.applicator.routes_change import removed_routes

    result = _applicator(slug).apply_change(lambda old: removed_routes(old, target), "operator-rm")
    print(
        f"{slug}: removed; {len(result.routes)} route(s) left; the proxy reloaded", file=sys.stderr
    )
    if as_json:
        _print_routes(result, True)


@app.command(
    "suggest",
    epilog=(
        "Examples:\n\n"
        "  bb routes suggest quiet-otter --yaml\n\n"
        "  bb routes suggest quiet-otter --write routes.yaml"
        "\n\n  bb routes add quiet-otter --from routes.yaml"
    ),
)
def suggest(
    slug: _SLUG,
    as_json: Annotated[bool, typer.Option("--json", help="Print the routes as JSON.")] = False,
    as_yaml: Annotated[
        bool, typer.Option("--yaml", help="Print a manifest `routes:` block (the default).")
    ] = False,
    write: Annotated[
        Path | None,
        typer.Option("--write", help="Also write a routes file for `bb routes add --from`."),
    ] = None,
    include_allowed: Annotated[
        bool,
        typer.Option(
            "--include-allowed",
            help="Also cover requests that were allowed (a full "
            "allowlist, not only what is missing).",
        ),
    ] = False,
    any_path: Annotated[
        bool, typer.Option("--any-path", help="Allow any path on the suggested hosts (wider).")
    ] = False,
) -> None:
    """Propose routes for what the bottle asked for and was refused (`bb start --observe`).

    Grouped by host: the methods seen and the directories of the paths seen; hosts are
    never widened to *.domain. Review, then paste the block into the bottle manifest or
    apply it now with `bb routes add SLUG --from FILE`.
    """
    import yaml

    from bb_cli.audit_tail import read_records
    from bb_cli.audit_view import LineParser
    from bb_cli.commands._common import fail
    from bb_cli.route_suggest import suggest_routes
    from bb_cli.state import find_record
    from bb_protocol.paths import egress_audit_file
    from bb_protocol.routes import dump_routes

    if as_json and as_yaml:
        raise fail("choose one of --json and --yaml", 2)
    find_record(slug)
    parser = LineParser()
    result = suggest_routes(
        read_records(egress_audit_file(slug), parser),
        include_allowed=include_allowed,
        any_path=any_path,
    )
    text = dump_routes(result.routes)
    if write is not None:
        write.write_text(text, encoding="utf-8")
        print(f"wrote {write}; apply with `bb routes add {slug} --from {write}`", file=sys.stderr)
    if as_json:
        typer.echo(json.dumps([_route_dict(r) for r in result.routes.routes], indent=2))
    else:
        block = yaml.safe_load(text)["routes"]
        typer.echo(yaml.safe_dump({"routes": block}, sort_keys=False).rstrip())
    if result.skipped:
        print(
            f"note: {result.skipped} request(s) could not be used (redacted paths or hosts a "
            "route cannot name); see `bb audit`",
            file=sys.stderr,
        )
    if not result.routes.routes:
        print("nothing to suggest: no refused request recorded yet", file=sys.stderr)
