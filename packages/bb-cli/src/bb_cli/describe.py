"""Pure: how a proposal is put into words for the operator, every field sanitised.

Used by ``bb queue`` and by the TUI (this module imports no terminal library). Every
agent- or sidecar-controlled string passes through `bb_protocol.sanitize`, so escapes,
bidi overrides, zero-width characters and huge lines are shown, not obeyed. Hosts are
shown through `bb_cli.host_display`: one-line views cut a host on the LEFT and name its
registrable domain apart; full views (`details`, `destination_text`) show the whole host.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

from bb_cli.host_display import HostView, clip_host, host_lines, view_host
from bb_protocol.queue import (
    CapabilityBlockRequest,
    EgressAllowRequest,
    EgressBlockRequest,
    EgressTokenAllowRequest,
    GitleaksAllowRequest,
    Proposal,
    Request,
    Response,
    content_hash,
)
from bb_protocol.sanitize import sanitize_line, sanitize_text

__all__ = [
    "HOST_WIDTH",
    "destination_text",
    "details",
    "domain_column",
    "proposal_json",
    "request_host",
    "request_view",
    "summary",
]

HOST_WIDTH: Final = 48
"""Characters of a host in one-line views; longer hosts lose their LEFT part."""


def request_host(request: Request) -> str | None:
    """The destination host a request is about (route pattern or held request), if any."""
    match request:
        case EgressAllowRequest():
            return request.route.host
        case EgressBlockRequest() | EgressTokenAllowRequest():
            return request.host
        case _:
            return None


def request_view(request: Request) -> HostView | None:
    """How the request's host is shown (registrable domain, decoded form), if it has one."""
    host = request_host(request)
    return None if host is None else view_host(host)


def domain_column(request: Request) -> str:
    """The registrable-domain column of one-line views ('-' for kinds without a host)."""
    view = request_view(request)
    return "-" if view is None else view.domain_label


def destination_text(request: Request) -> str:
    """The full host and its registrable domain as a few lines ('' without a host).

    For the dialogs where the operator decides: nothing is cut here.
    """
    view = request_view(request)
    if view is None:
        return ""
    lines = [f"registrable domain: {view.domain_label}", f"full host: {view.host}"]
    if view.decoded:
        lines.append(f"decoded: {view.decoded}")
    lines += [f"warning: {w}" for w in view.warnings]
    return "\n".join(lines)


def _route_label(request: EgressAllowRequest) -> str:
    route = request.route
    host = clip_host(view_host(route.host), HOST_WIDTH)
    label = f"{route.scheme}://{host}:{route.effective_port}"
    if route.methods:
        label += f" {','.join(route.methods)}"
    if route.paths:
        label += f" {','.join(route.paths)}"
    return label


def summary(request: Request) -> str:
    """One sanitised line describing ``request``; a long host is cut on its left."""
    match request:
        case EgressAllowRequest():
            text = f"allow {_route_label(request)}"
        case EgressBlockRequest():
            text = f"remove routes to {clip_host(view_host(request.host), HOST_WIDTH)}"
        case CapabilityBlockRequest():
            text = f"blocked on: {request.capability}"
        case EgressTokenAllowRequest():
            text = (
                f"secret ({', '.join(request.detectors)}) in {request.method} "
                f"{clip_host(view_host(request.host), HOST_WIDTH)}{request.path}"
            )
        case GitleaksAllowRequest():
            refs = ", ".join(u.ref for u in request.updates)
            text = f"{request.repo}: push to {refs} with {len(request.findings)} finding(s)"
    return sanitize_line(text, max_line=160)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def details(proposal: Proposal, response: Response | None = None) -> str:
    """Every field of the proposal (and the response, if any), sanitised, as YAML-like text."""
    head = {
        "id": proposal.id,
        "bottle": proposal.bottle,
        "kind": proposal.kind,
        "owner": proposal.owner,
        "created_at": proposal.created_at.isoformat(),
        "sha256": content_hash(proposal),
    }
    body: dict[str, Any] = dict(head)
    view = request_view(proposal.request)
    if view is not None:
        body["destination"] = host_lines(view)
    body["request"] = _plain(proposal.request.model_dump(mode="json"))
    if response is not None:
        body["response"] = {
            "decision": _plain(response.decision.model_dump(mode="json")),
            "decided_by": response.decided_by,
            "decided_at": response.decided_at.isoformat(),
        }
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=10_000)
    return sanitize_text(text)


def proposal_json(proposal: Proposal, status: str, bottle: str) -> dict[str, Any]:
    """The machine-readable form ``bb queue list --json`` prints (raw values, JSON-escaped).

    ``registrable_domain`` is the host's eTLD+1 (or its stand-in, see ``destination``), or
    None for kinds without a host.
    """
    view = request_view(proposal.request)
    return {
        "id": proposal.id,
        "bottle": bottle,
        "kind": proposal.kind,
        "owner": proposal.owner,
        "status": status,
        "created_at": proposal.created_at.isoformat(),
        "sha256": content_hash(proposal),
        "registrable_domain": None if view is None else view.registrable,
        "destination": None if view is None else host_lines(view),
        "request": proposal.request.model_dump(mode="json"),
    }
