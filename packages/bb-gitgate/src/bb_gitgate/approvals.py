"""The gate's side of the approval queue, behind a small interface.

A push with findings becomes a ``gitleaks-allow`` request (`bb_protocol.queue`'s
`GitleaksAllowRequest`) naming the repo, the ref updates, the exact commit ids scanned,
and each finding (rule id, file:line, redacted match). Its ``binding`` is a SHA-256 over
the repo, the updates and the commits; the operator's response is HMAC-bound to the
proposal's content (binding included), and the gate releases a push only on a verdict
carrying the binding of the commits it holds, so an approval can never be replayed onto
different commits. The gate owns its proposals: it submits them, polls for the decision,
and archives them after acting; it never writes a decision.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from bb_gitgate.findings import Finding
from bb_gitgate.refs import RefUpdate

if TYPE_CHECKING:  # the queue models load only when a push is held (hook start-up time)
    from bb_protocol.queue import GitleaksAllowRequest

__all__ = [
    "ApprovalQueue",
    "Outcome",
    "Verdict",
    "binding_for",
    "build_request",
    "summary",
]

Outcome = Literal["approved", "rejected", "timed_out", "failed"]
"""How the gate finished with a proposal (recorded when it archives it)."""


def binding_for(repo: str, updates: Sequence[RefUpdate], commits: Sequence[str]) -> str:
    """SHA-256 (hex) over the canonical JSON of what would be forwarded."""
    payload = {
        "repo": repo,
        "updates": [[u.ref, u.old, u.new] for u in updates],
        "commits": list(commits),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_request(
    repo: str,
    updates: Sequence[RefUpdate],
    commits: Sequence[str],
    findings: Sequence[Finding],
) -> GitleaksAllowRequest:
    """The protocol request for a held push, its binding computed from what is held."""
    from bb_protocol.queue import GitleaksAllowRequest, GitleaksFinding, GitRefUpdate

    return GitleaksAllowRequest(
        repo=repo,
        updates=tuple(GitRefUpdate(ref=u.ref, old=u.old, new=u.new) for u in updates),
        commits=tuple(commits),
        findings=tuple(
            GitleaksFinding(
                rule_id=f.rule_id,
                commit=f.commit,
                file=f.file,
                line=f.line,
                match=f.match,
                fingerprint=f.fingerprint,
            )
            for f in findings
        ),
        binding=binding_for(repo, updates, commits),
    )


def summary(request: GitleaksAllowRequest) -> str:
    """One line describing a held push (for logs)."""
    refs = ", ".join(u.ref for u in request.updates)
    rules = ", ".join(sorted({f.rule_id for f in request.findings}))
    return (
        f"{request.repo}: push to {refs} ({len(request.commits)} commit(s)) has "
        f"{len(request.findings)} finding(s): {rules}"
    )


class Verdict(BaseModel):
    """The operator's decision on one proposal, as the gate acts on it."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["approved", "rejected"]
    """What the operator decided."""
    reason: str = ""
    """The operator's recorded reason."""
    binding: str
    """The binding of the proposal the (verified) decision was made on."""


class ApprovalQueue(Protocol):
    """Where the gate asks the operator; `bb_gitgate.queue.ProtocolQueue` in production."""

    def submit(self, request: GitleaksAllowRequest) -> str:
        """Write a proposal for ``request``; return its id."""
        ...

    def verdict(self, proposal_id: str) -> Verdict | None:
        """The verified decision on ``proposal_id``, or None while the operator has not decided."""
        ...

    def archive(self, proposal_id: str, outcome: Outcome, detail: str = "") -> None:
        """Archive the proposal, recording how the gate acted (exactly once)."""
        ...
