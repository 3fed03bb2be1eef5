"""Pure: how a proposal is put into words for the operator, every field sanitised.

Used by ``bb queue`` and by the TUI (this module imports no terminal library). Every
agent- or sidecar-controlled string passes through `bb_protocol.sanitize`, so escapes,
bidi overrides, zero-width characters and huge lines are shown, not obeyed.
"""

from __future__ import annotations

from typing import Any

import yaml

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

__all__ = ["details", "proposal_json", "summary"]


def _route_label(request: EgressAllowRequest) -> str:
    route = request.route
    label = f"{route.scheme}://{route.host}:{route.effective_port}"
    if route.methods:
        label += f" {','.join(route.methods)}"
    if route.paths:
        label += f" {','.join(route.paths)}"
    return label


def summary(request: Request) -> str:
    """One sanitised line describing ``request``."""
    match request:
        case EgressAllowRequest():
            text = f"allow {_route_label(request)}"
        case EgressBlockRequest():
            text = f"remove routes to {request.host}"
        case CapabilityBlockRequest():
            text = f"blocked on: {request.capability}"
        case EgressTokenAllowRequest():
            text = (
                f"secret ({', '.join(request.detectors)}) in {request.method} "
                f"{request.host}{request.path}"
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
    body: dict[str, Any] = {
        **head,
        "request": _plain(proposal.request.model_dump(mode="json")),
    }
    if response is not None:
        body["response"] = {
            "decision": _plain(response.decision.model_dump(mode="json")),
            "decided_by": response.decided_by,
            "decided_at": response.decided_at.isoformat(),
        }
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=10_000)
    return sanitize_text(text)


def proposal_json(proposal: Proposal, status: str, bottle: str) -> dict[str, Any]:
    """The machine-readable form ``bb queue list --json`` prints (raw values, JSON-escaped)."""
    return {
        "id": proposal.id,
        "bottle": bottle,
        "kind": proposal.kind,
        "owner": proposal.owner,
        "status": status,
        "created_at": proposal.created_at.isoformat(),
        "sha256": content_hash(proposal),
        "request": proposal.request.model_dump(mode="json"),
    }
