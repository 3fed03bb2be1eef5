"""The gate's side of the approval queue, behind a small interface.

A push with findings becomes a ``gitleaks-allow`` proposal naming the repo, the ref
updates, the exact commit ids scanned, and each finding (rule id, file:line, redacted
match). Its ``binding`` is a SHA-256 over the repo, the updates and the commits: an
operator's decision counts only when it names that same binding, so an approval can
never be replayed onto different commits. The gate owns its proposals: it submits them,
polls for the decision, and archives them after acting; it never writes a decision.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bb_gitgate.refs import RefUpdate
from bb_gitgate.scan import Finding

__all__ = [
    "ApprovalQueue",
    "GitleaksAllowProposal",
    "Outcome",
    "Verdict",
    "binding_for",
]

Outcome = Literal["approved", "rejected", "timed_out", "failed"]
"""How the gate finished with a proposal (recorded when it archives it)."""


def binding_for(repo: str, updates: list[RefUpdate], commits: list[str]) -> str:
    """SHA-256 (hex) over the canonical JSON of what would be forwarded."""
    payload = {
        "repo": repo,
        "updates": [[u.ref, u.old, u.new] for u in updates],
        "commits": list(commits),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class GitleaksAllowProposal(BaseModel):
    """What the operator is asked: may these exact commits go upstream despite findings?"""

    model_config = ConfigDict(frozen=True)

    kind: Literal["gitleaks-allow"] = "gitleaks-allow"
    """Discriminator shared with the queue protocol."""
    bottle: str
    """Slug of the bottle whose agent pushed."""
    repo: str
    """Repo name from the gate's config."""
    updates: list[RefUpdate]
    """The ref updates the push asks for."""
    commits: list[str]
    """Every new commit the push brings, oldest first: exactly what was scanned."""
    findings: list[Finding] = Field(min_length=1)
    """What gitleaks found (secrets redacted)."""
    binding: str
    """`binding_for` of repo, updates and commits; a decision must repeat it."""

    @classmethod
    def build(
        cls,
        bottle: str,
        repo: str,
        updates: list[RefUpdate],
        commits: list[str],
        findings: list[Finding],
    ) -> GitleaksAllowProposal:
        """Make a proposal with its binding computed."""
        return cls(
            bottle=bottle,
            repo=repo,
            updates=updates,
            commits=commits,
            findings=findings,
            binding=binding_for(repo, updates, commits),
        )

    def summary(self) -> str:
        """One line for the operator's list."""
        refs = ", ".join(u.ref for u in self.updates)
        rules = ", ".join(sorted({f.rule_id for f in self.findings}))
        return (
            f"{self.repo}: push to {refs} ({len(self.commits)} commit(s)) has "
            f"{len(self.findings)} gitleaks finding(s): {rules}"
        )


class Verdict(BaseModel):
    """The operator's decision on one proposal, as the queue reports it."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["approved", "rejected"]
    """What the operator decided."""
    reason: str = ""
    """The operator's recorded reason."""
    binding: str
    """The proposal binding the decision was made on."""


class ApprovalQueue(Protocol):
    """Where the gate asks the operator; implemented over ``bb_protocol.queue``."""

    def submit(self, proposal: GitleaksAllowProposal) -> str:
        """Write ``proposal`` for the operator; return its id."""
        ...

    def verdict(self, proposal_id: str) -> Verdict | None:
        """The decision on ``proposal_id``, or None while the operator has not decided."""
        ...

    def archive(self, proposal_id: str, outcome: Outcome) -> None:
        """Move the proposal out of the pending set, recording how the gate acted."""
        ...
