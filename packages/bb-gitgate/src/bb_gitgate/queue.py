"""`ApprovalQueue` over the real approval queue (`bb_protocol.queue.QueueStore`).

The gate is the owner of ``gitleaks-allow`` proposals: it submits them, claims the
operator's response (verified against the bottle's approval key; a forged, moved or
altered response is quarantined by the store and never seen here), and archives each
proposal exactly once with how it acted. At start the server calls `recover`, archiving
proposals a previous run left behind as ``interrupted`` (their pushes are gone).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Final

from bb_gitgate.approvals import Outcome, Verdict
from bb_protocol.queue import (
    AlreadyArchivedError,
    ApprovalKey,
    GitleaksAllowRequest,
    Proposal,
    QueueStore,
    Response,
)
from bb_protocol.tools import ProposalOwner

__all__ = ["OWNER", "ProtocolQueue", "recover"]

OWNER: Final[ProposalOwner] = "gitgate"
"""The component name under which the gate owns its proposals."""


def recover(root: Path) -> int:
    """Archive proposals a previous gate run left unfinished; return how many."""
    return len(QueueStore(root).ensure().recover(OWNER))


class ProtocolQueue:
    """The gate's `ApprovalQueue` over one bottle's queue directory."""

    def __init__(self, root: Path, *, bottle: str, key: ApprovalKey) -> None:
        self.store = QueueStore(root).ensure()
        self.bottle = bottle
        self._key = key
        self._proposals: dict[str, Proposal] = {}
        self._responses: dict[str, Response] = {}

    def submit(self, request: GitleaksAllowRequest) -> str:
        """Write the proposal atomically into the queue; return its id."""
        proposal = self.store.submit(self.bottle, request)
        self._proposals[proposal.id] = proposal
        return proposal.id

    def verdict(self, proposal_id: str) -> Verdict | None:
        """Claim the verified response (once) and translate it; None while undecided."""
        proposal = self._proposals[proposal_id]
        response = self._responses.get(proposal_id)
        if response is None:
            response = self.store.claim(proposal, self._key)
            if response is None:
                return None
            self._responses[proposal_id] = response
        request = proposal.request
        assert isinstance(request, GitleaksAllowRequest)
        decision = response.decision
        # A verified response is bound to this proposal's content, binding included; the
        # protocol refuses "modify" for gitleaks-allow, so only approve/reject reach here.
        kind = "approved" if decision.kind == "approve" else "rejected"
        return Verdict(kind=kind, reason=decision.reason, binding=request.binding)

    def archive(self, proposal_id: str, outcome: Outcome, detail: str = "") -> None:
        """Archive exactly once, with the operator's response when there was one."""
        proposal = self._proposals.pop(proposal_id)
        response = self._responses.pop(proposal_id, None)
        with contextlib.suppress(AlreadyArchivedError):
            self.store.archive(proposal, outcome, by=OWNER, response=response, detail=detail)
