"""`ApprovalQueue`: what the operator needs of one bottle's approval queue, wherever it is.

Defined beside the operator that uses it; a backend's ``approval_queue(slug)`` returns one
(`bb_cli.backends.base.BottleBackend.approval_queue`), so the backends depend on this
module and the applicator depends on no backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bb_protocol.queue import ApprovalKey, Decision, PendingEntry, Proposal, Response

__all__ = ["ApprovalQueue"]


class ApprovalQueue(Protocol):
    """What the operator needs of one bottle's approval queue, wherever it is.

    `bb_protocol.queue.QueueStore` (a directory on this host, or an RWX volume mounted
    here) satisfies it as it is; a backend whose queues are elsewhere returns a client of
    the same contract (same proposals, same HMAC-signed responses, first decision stands).
    """

    def pending(self) -> list[PendingEntry]:
        """Every valid proposal not yet archived, oldest first."""
        ...

    def get(self, proposal_id: str) -> Proposal:
        """The pending proposal ``proposal_id`` (`UnknownProposalError` otherwise)."""
        ...

    def decide(
        self,
        proposal_id: str,
        decision: Decision,
        key: ApprovalKey,
        *,
        decided_by: str,
        seen_sha256: str | None = None,
    ) -> Response:
        """Write the signed response; the first decision stands."""
        ...
