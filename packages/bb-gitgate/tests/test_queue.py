"""The gate's ApprovalQueue over the real bb_protocol.queue store (files in tmp_path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_gitgate.approvals import build_request
from bb_gitgate.findings import Finding
from bb_gitgate.queue import ProtocolQueue, recover
from bb_gitgate.refs import RefUpdate
from bb_protocol.queue import ApprovalKey, Approve, QueueStore, Reject, content_hash

UPDATE = RefUpdate(old="a" * 40, new="b" * 40, ref="refs/heads/main")
FINDING = Finding(
    rule_id="aws-access-token",
    commit="b" * 40,
    file="c.py",
    line=1,
    match="REDACTED",
    fingerprint="x",
)


def _queue(tmp_path: Path) -> tuple[ProtocolQueue, QueueStore, ApprovalKey]:
    key = ApprovalKey.generate()
    return ProtocolQueue(tmp_path, bottle="b1", key=key), QueueStore(tmp_path), key


def _decide(store: QueueStore, key: ApprovalKey, proposal_id: str, decision) -> None:
    proposal = store.get(proposal_id)
    store.decide(proposal_id, decision, key, decided_by="op", seen_sha256=content_hash(proposal))


def test_a_submitted_push_is_pending_for_the_operator(tmp_path):
    """submit writes a gitleaks-allow proposal naming repo, commits and findings."""
    queue, store, _ = _queue(tmp_path)
    proposal_id = queue.submit(build_request("app", [UPDATE], ["b" * 40], [FINDING]))
    [entry] = store.pending()
    assert entry.proposal.id == proposal_id
    assert entry.proposal.request.kind == "gitleaks-allow"
    assert queue.verdict(proposal_id) is None


@pytest.mark.parametrize(
    ("decision", "kind"),
    [(Approve(reason="fixture"), "approved"), (Reject(reason="no"), "rejected")],
)
def test_a_signed_decision_becomes_a_verdict_bound_to_the_proposal(tmp_path, decision, kind):
    """The operator's response is claimed once and carries the proposal's binding."""
    queue, store, key = _queue(tmp_path)
    request = build_request("app", [UPDATE], ["b" * 40], [FINDING])
    proposal_id = queue.submit(request)
    _decide(store, key, proposal_id, decision)
    verdict = queue.verdict(proposal_id)
    assert verdict is not None
    assert (verdict.kind, verdict.reason, verdict.binding) == (
        kind,
        decision.reason,
        request.binding,
    )
    assert queue.verdict(proposal_id) == verdict


def test_a_response_signed_with_another_key_is_never_a_verdict(tmp_path):
    """Forged responses are quarantined by the store and ignored."""
    queue, store, _ = _queue(tmp_path)
    proposal_id = queue.submit(build_request("app", [UPDATE], ["b" * 40], [FINDING]))
    _decide(store, ApprovalKey.generate(), proposal_id, Approve(reason="forged"))
    assert queue.verdict(proposal_id) is None
    assert list(store.quarantine.iterdir())


def test_archiving_records_the_outcome_and_the_response(tmp_path):
    """The gate archives its proposal exactly once, with what the operator said."""
    queue, store, key = _queue(tmp_path)
    proposal_id = queue.submit(build_request("app", [UPDATE], ["b" * 40], [FINDING]))
    _decide(store, key, proposal_id, Approve(reason="fixture"))
    queue.verdict(proposal_id)
    queue.archive(proposal_id, "approved", "forwarded")
    [record] = store.archived()
    assert record.outcome == "approved"
    assert record.response is not None
    assert store.pending() == []


def test_recover_archives_what_an_earlier_run_left_as_interrupted(tmp_path):
    """A held push whose gate restarted is archived, not re-applied."""
    queue, store, _ = _queue(tmp_path)
    queue.submit(build_request("app", [UPDATE], ["b" * 40], [FINDING]))
    assert recover(tmp_path) == 1
    assert [r.outcome for r in store.archived()] == ["interrupted"]
