"""``bb queue``: the operator's decisions, scriptable.

``list [--json]``, ``show ID``, ``approve ID --reason``, ``reject ID --reason`` and
``modify ID FILE`` (FILE holds the changed request as YAML or JSON, same kind). Works
across every bottle under the state dir (``--bottle`` narrows it). Exit codes: 0 done,
1 refused (bad decision, invalid change, reload failed), 2 no such proposal or bottle.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from bb_cli.applicator import Operator
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
    from bb_cli.applicator import ApplyError, Operator, discover_bottles

    try:
        return Operator(discover_bottles(only=bottle))
    except (ApplyError, ValueError) as exc:
        _fail(str(exc), 2)


def _decide(proposal_id: str, decision: Decision, bottle: str | None, sha256: str | None) -> None:
    from bb_cli.applicator import ApplyError, BottleNotFoundError
    from bb_cli.tui.describe import destination_text
    from bb_protocol.queue import Modify, QueueError, UnknownProposalError

    operator = _operator(bottle)
    try:
        request = operator.find(proposal_id).entry.proposal.request
        response = operator.decide(proposal_id, decision, seen_sha256=sha256)
    except (BottleNotFoundError, UnknownProposalError) as exc:
        _fail(str(exc), 2)
    except (ApplyError, QueueError, OSError) as exc:
        _fail(str(exc), 1)
    typer.echo(f"{response.decision.kind}: {proposal_id}")
    # What was decided, in full: the confirmation never hides the registrable domain.
    decided = response.decision.request if isinstance(response.decision, Modify) else request
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
    """
    from bb_cli.tui.describe import domain_column, proposal_json, summary

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
    for item in items:
        request = item.entry.proposal.request
        typer.echo(
            f"{item.id}  {item.bottle.slug}  {item.status}  {domain_column(request)}  "
            f"{summary(request)}"
        )


@app.command("show")
def show(proposal_id: str, bottle: BottleOption = None) -> None:
    """Show one proposal in full (sanitised) with its content hash."""
    from bb_cli.applicator import BottleNotFoundError
    from bb_cli.tui.describe import details

    try:
        item = _operator(bottle).find(proposal_id)
    except BottleNotFoundError as exc:
        _fail(str(exc), 2)
    typer.echo(details(item.entry.proposal, item.entry.response))


ShaOption = Annotated[
    str | None,
    typer.Option("--sha256", help="Refuse unless the proposal still has this content hash."),
]


@app.command("approve")
def approve(
    proposal_id: str,
    reason: ReasonOption = "",
    bottle: BottleOption = None,
    sha256: ShaOption = None,
) -> None:
    """Approve as proposed (token and gitleaks allowances need --reason)."""
    from bb_protocol.queue import Approve

    _decide(proposal_id, Approve(reason=reason), bottle, sha256)


@app.command("reject")
def reject(
    proposal_id: str,
    reason: ReasonOption = "",
    bottle: BottleOption = None,
    sha256: ShaOption = None,
) -> None:
    """Reject; the reason is returned to the agent."""
    from bb_protocol.queue import Reject

    _decide(proposal_id, Reject(reason=reason), bottle, sha256)


@app.command("modify")
def modify(
    proposal_id: str,
    file: Annotated[Path, typer.Argument(help="The changed request, YAML or JSON ('-' = stdin).")],
    reason: ReasonOption = "",
    bottle: BottleOption = None,
    sha256: ShaOption = None,
) -> None:
    """Approve a changed version of an egress-allow / egress-block proposal."""
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
    _decide(proposal_id, Modify(request=request, reason=reason), bottle, sha256)
