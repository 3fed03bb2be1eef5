"""``bb queue``: the operator's decisions, scriptable.

``list [--json]``, ``show ID``, ``approve ID --reason``, ``reject ID --reason`` and
``modify ID FILE`` (FILE holds the changed request as YAML or JSON, same kind), each
decision with ``--json``. ID may be any unique start (or end: the random tail) of a
pending proposal's id (an ambiguous one is refused, listing the candidates). Works across
every bottle under the state dir (``--bottle`` narrows it). Exit codes: 0 done, 1 refused
(bad decision, invalid change, reload failed), 2 bad input, 3 no such proposal or bottle,
or an ambiguous prefix.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from bb_cli.applicator import Item, Operator
    from bb_protocol.queue import Decision

app = typer.Typer(
    help="List and decide the proposals waiting for the operator.", no_args_is_help=True
)

BottleOption = Annotated[
    str | None, typer.Option("--bottle", help="Only this bottle (slug); default all bottles.")
]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (recorded, and told to the agent).")
]


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _operator(bottle: str | None) -> Operator:
    from bb_cli.applicator import Operator, discover_bottles
    from bb_cli.lifecycle import reload_signal_for

    try:
        return Operator(discover_bottles(only=bottle), reload_for=reload_signal_for)
    except ValueError as exc:  # an invalid slug (a missing bottle is exit 3, `NotFoundError`)
        _fail(str(exc), 2)


def resolve_id(items: list[Item], wanted: str) -> Item:
    """The pending item whose id is ``wanted``, starts with it (unique prefix) or ends with
    it (ids are ``KIND-TIME-RANDOM``, so the random tail is the short handle).

    `AmbiguousIdError` lists the candidates when several match; `NotFoundError` when none.
    """
    from bb_cli.describe import summary
    from bb_cli.errors import AmbiguousIdError, NotFoundError

    exact = [item for item in items if item.id == wanted]
    if exact:
        return exact[0]
    matches = [i for i in items if wanted and (i.id.startswith(wanted) or i.id.endswith(wanted))]
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = "; ".join(
            f"{i.id} ({i.bottle.slug}: {summary(i.entry.proposal.request)})" for i in matches[:10]
        )
        raise AmbiguousIdError(
            f"{wanted!r} is the start of {len(matches)} pending proposals: {listed}; "
            "give more characters"
        )
    raise NotFoundError(f"no pending proposal {wanted!r} in any bottle; `bb queue list` shows them")


def _decide(
    wanted: str, decision: Decision, bottle: str | None, sha256: str | None, as_json: bool
) -> None:
    from bb_cli.applicator import ApplyError
    from bb_cli.describe import destination_text, request_view
    from bb_cli.errors import NotFoundError
    from bb_cli.host_display import host_lines
    from bb_protocol.queue import Modify, QueueError

    operator = _operator(bottle)
    item = resolve_id(operator.items(), wanted)
    proposal_id = item.id
    try:
        request = operator.find(proposal_id).entry.proposal.request
        response = operator.decide(proposal_id, decision, seen_sha256=sha256)
    except NotFoundError:
        raise
    except (ApplyError, QueueError, OSError) as exc:
        _fail(str(exc), 1)
    decided = response.decision.request if isinstance(response.decision, Modify) else request
    if as_json:
        view = request_view(decided)
        out = {
            "id": proposal_id,
            "bottle": item.bottle.slug,
            **json.loads(response.model_dump_json(exclude={"mac", "nonce"})),
            "registrable_domain": None if view is None else view.registrable,
            "destination": None if view is None else host_lines(view),
        }
        typer.echo(json.dumps(out, indent=2, ensure_ascii=True))
        return
    typer.echo(f"{response.decision.kind}: {proposal_id}")
    # What was decided, in full: the confirmation never hides the registrable domain.
    destination = destination_text(decided)
    if destination:
        typer.echo("\n".join(f"  {line}" for line in destination.splitlines()))


@app.command("list")
def list_(
    bottle: BottleOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one array).")] = False,
) -> None:
    """List pending proposals, oldest first: id, bottle, status, registrable domain, summary.

    A long host is cut on its LEFT in the summary; its registrable domain (public suffix
    list) has its own column, and ``bb queue show`` prints the full host.

    Example: bb queue list --bottle shell-3f2a
    """
    from bb_cli.describe import domain_column, proposal_json, summary

    items = _operator(bottle).items()
    if as_json:
        out: list[dict[str, Any]] = [
            proposal_json(i.entry.proposal, i.status, i.bottle.slug) for i in items
        ]
        typer.echo(json.dumps(out, indent=2, ensure_ascii=True))
        return
    if not items:
        typer.echo("no pending proposals")
        return
    rows = [("ID", "BOTTLE", "STATUS", "DOMAIN", "SUMMARY")]
    for item in items:
        request = item.entry.proposal.request
        rows.append(
            (item.id, item.bottle.slug, item.status, domain_column(request), summary(request))
        )
    widths = [max(len(row[c]) for row in rows) for c in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        typer.echo("  ".join([*cells, row[4]]).rstrip())


IdArgument = Annotated[
    str,
    typer.Argument(help="The proposal's id, or a unique start or end of it (`bb queue list`)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")]


@app.command("show")
def show(proposal_id: IdArgument, bottle: BottleOption = None) -> None:
    """Show one proposal in full (sanitised) with its content hash.

    Example: bb queue show f8ec27eb
    """
    from bb_cli.describe import details

    item = resolve_id(_operator(bottle).items(), proposal_id)
    typer.echo(details(item.entry.proposal, item.entry.response))


ShaOption = Annotated[
    str | None,
    typer.Option("--sha256", help="Refuse unless the proposal still has this content hash."),
]


@app.command("approve")
def approve(
    proposal_id: IdArgument,
    reason: ReasonOption = "",
    bottle: BottleOption = None,
    sha256: ShaOption = None,
    as_json: JsonOption = False,
) -> None:
    """Approve as proposed (token and gitleaks allowances need --reason).

    Example: bb queue approve f8ec27eb --reason "docs site, read-only"
    """
    from bb_protocol.queue import Approve

    _decide(proposal_id, Approve(reason=reason), bottle, sha256, as_json)


@app.command("reject")
def reject(
    proposal_id: IdArgument,
    reason: ReasonOption = "",
    bottle: BottleOption = None,
    sha256: ShaOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reject; the reason is returned to the agent.

    Example: bb queue reject f8ec27eb --reason "use the internal mirror"
    """
    from bb_protocol.queue import Reject

    _decide(proposal_id, Reject(reason=reason), bottle, sha256, as_json)


@app.command("modify")
def modify(
    proposal_id: IdArgument,
    file: Annotated[Path, typer.Argument(help="The changed request, YAML or JSON ('-' = stdin).")],
    reason: ReasonOption = "",
    bottle: BottleOption = None,
    sha256: ShaOption = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a changed version of an egress-allow / egress-block proposal.

    Example: bb queue show f8ec27eb > req.yaml; edit it; bb queue modify f8ec27eb req.yaml
    """
    import yaml
    from pydantic import TypeAdapter, ValidationError

    from bb_protocol.queue import Modify, Request

    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        request: Request = TypeAdapter(Request).validate_python(data)
    except (OSError, yaml.YAMLError) as exc:
        _fail(f"cannot read {file}: {exc}", 1)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        _fail(f"{file}: invalid request at {where}: {first['msg']}", 1)
    _decide(proposal_id, Modify(request=request, reason=reason), bottle, sha256, as_json)
