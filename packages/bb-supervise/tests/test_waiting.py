"""`await_decision` against the operator's decision landing at each point of its poll.

Escape case F91 once saw an agent's call still open 120 s after ``bb queue reject``
succeeded. These tests drive the order of events instead of racing them: the operator's
real `QueueStore.decide` runs from hooks placed before, inside and after the waiter's
claim, and while it reports progress; every order must end in the operator's decision,
returned once and archived once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import pytest

from bb_protocol.queue import (
    ApprovalKey,
    CapabilityBlockRequest,
    Proposal,
    QueueStore,
    Reject,
    Response,
)
from bb_supervise.waiting import DecisionResult, await_decision

pytestmark = pytest.mark.anyio

Hook = Callable[[Proposal], None]


class DrivenStore(QueueStore):
    """A real store whose claims run the test's hooks first or after, one per claim."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.before: list[Hook | None] = []
        self.after: list[Hook | None] = []
        self.claims_made = 0

    def claim(self, proposal: Proposal, key: ApprovalKey) -> Response | None:
        self.claims_made += 1
        if self.before and (hook := self.before.pop(0)) is not None:
            hook(proposal)
        response = super().claim(proposal, key)
        if self.after and (hook := self.after.pop(0)) is not None:
            hook(proposal)
        return response


def _reject(store: QueueStore, key: ApprovalKey) -> Hook:
    def decide(proposal: Proposal) -> None:
        store.decide(proposal.id, Reject(reason="look-alike host"), key, decided_by="operator")

    return decide


async def _wait(
    store: DrivenStore,
    key: ApprovalKey,
    *,
    progress: Callable[[float], Awaitable[None]] | None = None,
    progress_every: float = 5.0,
) -> DecisionResult:
    with anyio.fail_after(30):  # a bound, not a timing assertion
        return await await_decision(
            store,
            key,
            "demo",
            CapabilityBlockRequest(capability="need docker"),
            timeout=60,
            poll_interval=0.001,
            progress=progress,
            progress_every=progress_every,
        )


def _assert_rejected_once(store: QueueStore, result_id: str) -> None:
    record = store.archive_record(result_id)
    assert record is not None
    assert record.outcome == "rejected"
    assert record.response is not None
    assert record.response.decision.reason == "look-alike host"
    assert store.pending() == []
    assert not any(store.claims.iterdir())
    assert not any(store.responses.iterdir())


@pytest.fixture
def driven(tmp_path: Path) -> DrivenStore:
    store = DrivenStore(tmp_path / "queue")
    store.ensure()
    return store


async def test_a_rejection_written_just_before_the_first_claim_is_returned(driven, key):
    driven.before = [_reject(driven, key)]
    result = await _wait(driven, key)
    assert result.decision == "rejected"
    assert driven.claims_made == 1
    _assert_rejected_once(driven, result.proposal_id)


async def test_a_rejection_written_just_after_an_empty_claim_is_seen_by_the_next_poll(driven, key):
    driven.after = [None, None, _reject(driven, key)]
    result = await _wait(driven, key)
    assert result.decision == "rejected"
    assert result.reason == "look-alike host"
    assert driven.claims_made == 4
    _assert_rejected_once(driven, result.proposal_id)


async def test_a_rejection_written_while_progress_is_reported_is_returned(driven, key):
    decided: list[str] = []

    async def progress(waited: float) -> None:
        if not decided:
            proposal = driven.pending()[0].proposal
            _reject(driven, key)(proposal)
            decided.append(proposal.id)

    result = await _wait(driven, key, progress=progress, progress_every=0.0)
    assert result.decision == "rejected"
    assert decided == [result.proposal_id]
    _assert_rejected_once(driven, result.proposal_id)


async def test_a_second_decision_after_the_claim_is_refused_and_the_first_stands(driven, key):
    from bb_protocol.queue import AlreadyDecidedError

    refused: list[str] = []

    def decide_again(proposal: Proposal) -> None:
        try:
            _reject(driven, key)(proposal)
        except AlreadyDecidedError as exc:
            refused.append(str(exc))

    driven.before = [_reject(driven, key)]
    driven.after = [decide_again]
    result = await _wait(driven, key)
    assert result.decision == "rejected"
    assert len(refused) == 1
    _assert_rejected_once(driven, result.proposal_id)
