"""The queue store's protocol: submit, decide, claim, archive, recover, and what readers refuse."""

from __future__ import annotations

import json
import os

import pytest

from bb_protocol.queue import (
    AlreadyArchivedError,
    AlreadyDecidedError,
    Approve,
    DecisionRefusedError,
    EgressAllowRequest,
    InvalidMessageError,
    Modify,
    QueueStore,
    Reject,
    UnknownProposalError,
    content_hash,
    read_message,
)
from bb_protocol.queue.models import Proposal
from bb_protocol.routes import Route
from bb_protocol.testing import sample_request

KINDS = ["egress-allow", "egress-block", "capability-block", "egress-token-allow", "gitleaks-allow"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_submitted_proposal_is_pending_until_its_owner_archives_it(store, key, kind):
    """Submit, decide, claim, archive: it leaves pending and lands in processed once."""
    proposal = store.submit("demo", sample_request(kind))
    assert [e.proposal for e in store.pending()] == [proposal]
    store.decide(proposal.id, Approve(reason="ok"), key, decided_by="op@host")
    response = store.claim(proposal, key)
    assert response is not None
    assert response.decision == Approve(reason="ok")
    store.archive(proposal, "approved", by=proposal.owner, response=response)
    assert store.pending() == []
    [record] = store.archived()
    assert record.proposal == proposal
    assert record.response == response


def test_claim_returns_none_while_undecided(store, key):
    """No response yet means keep waiting, never approval."""
    proposal = store.submit("demo", sample_request("capability-block"))
    assert store.claim(proposal, key) is None


def test_the_first_decision_stands(store, key):
    """A second decide on the same proposal is refused; the first response is untouched."""
    proposal = store.submit("demo", sample_request("capability-block"))
    first = store.decide(proposal.id, Reject(reason="no"), key, decided_by="a")
    with pytest.raises(AlreadyDecidedError):
        store.decide(proposal.id, Approve(reason="yes"), key, decided_by="b")
    assert store.claim(proposal, key) == first


def test_a_decision_is_claimed_only_once(store, key):
    """After one claim, a second claim raises instead of handing the decision out again."""
    proposal = store.submit("demo", sample_request("capability-block"))
    store.decide(proposal.id, Approve(), key, decided_by="op")
    assert store.claim(proposal, key) is not None
    with pytest.raises(AlreadyArchivedError):
        store.claim(proposal, key)


def test_a_proposal_is_archived_exactly_once(store):
    """The second archive raises; the first record stays."""
    proposal = store.submit("demo", sample_request("capability-block"))
    store.archive(proposal, "timed_out", by="supervise")
    with pytest.raises(AlreadyArchivedError):
        store.archive(proposal, "approved", by="supervise")
    assert store.archive_record(proposal.id).outcome == "timed_out"


@pytest.mark.parametrize(
    ("kind", "wrong"),
    [
        ("gitleaks-allow", "supervise"),
        ("egress-token-allow", "gitgate"),
        ("egress-allow", "egress"),
    ],
)
def test_only_the_owner_may_archive_a_proposal(store, kind, wrong):
    """The UI or another sidecar never archives someone else's proposal."""
    proposal = store.submit("demo", sample_request(kind))
    with pytest.raises(ValueError, match="owns it"):
        store.archive(proposal, "rejected", by=wrong)
    assert store.pending()[0].proposal == proposal


@pytest.mark.parametrize("kind", ["egress-token-allow", "gitleaks-allow", "capability-block"])
def test_modify_is_refused_where_it_makes_no_sense(store, key, kind):
    """Token, gitleaks and capability proposals are yes or no."""
    proposal = store.submit("demo", sample_request(kind))
    with pytest.raises(DecisionRefusedError, match="cannot be modified"):
        store.decide(
            proposal.id, Modify(request=proposal.request, reason="r"), key, decided_by="op"
        )


def test_a_modification_must_keep_the_kind(store, key):
    """An egress-allow cannot be modified into an egress-block."""
    proposal = store.submit("demo", sample_request("egress-allow"))
    other = sample_request("egress-block")
    with pytest.raises(DecisionRefusedError, match="must stay"):
        store.decide(proposal.id, Modify(request=other), key, decided_by="op")


@pytest.mark.parametrize("kind", ["egress-token-allow", "gitleaks-allow"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_approving_a_token_or_gitleaks_allowance_needs_a_reason(store, key, kind, reason):
    """Without a recorded reason the approval is refused (a rejection needs none)."""
    proposal = store.submit("demo", sample_request(kind))
    with pytest.raises(DecisionRefusedError, match="requires a reason"):
        store.decide(proposal.id, Approve(reason=reason), key, decided_by="op")
    store.decide(proposal.id, Reject(), key, decided_by="op")


def test_a_decision_on_content_other_than_what_was_shown_is_refused(store, key):
    """``seen_sha256`` binds the operator's click to the bytes on screen."""
    proposal = store.submit("demo", sample_request("egress-allow"))
    with pytest.raises(DecisionRefusedError, match="changed since"):
        store.decide(proposal.id, Approve(), key, decided_by="op", seen_sha256="0" * 64)
    store.decide(proposal.id, Approve(), key, decided_by="op", seen_sha256=content_hash(proposal))


@pytest.mark.parametrize("bad_id", ["../new/x", "/etc/passwd", "%2e%2e", "a\x00b", "A", ""])
def test_ids_with_path_tricks_are_unknown(store, key, bad_id):
    """An id is a file name from a strict alphabet; anything else names no proposal."""
    with pytest.raises(UnknownProposalError):
        store.decide(bad_id, Approve(), key, decided_by="op")


def _write_raw(store, name: str, content: bytes) -> None:
    (store.new / name).write_bytes(content)


def _valid_payload(store) -> dict:
    proposal = store.submit("demo", sample_request("capability-block"))
    path = store.new / f"{proposal.id}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    return data


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: {**d, "version": 99}, "unknown protocol version 99"),
        (lambda d: {k: v for k, v in d.items() if k != "version"}, "unknown protocol version None"),
        (lambda d: {**d, "status": "approved"}, "Extra inputs are not permitted"),
        (lambda d: {**d, "id": "other-id"}, "does not match the file name"),
        (lambda d: {**d, "request": {**d["request"], "kind": "approve-all"}}, "invalid Proposal"),
        (lambda d: [d], "not a JSON object"),
    ],
)
def test_malformed_and_unknown_version_proposals_are_rejected_with_a_reason(store, mutate, reason):
    """Readers refuse them, say why, and list nothing."""
    data = _valid_payload(store)
    name = f"{data['id']}.json"
    _write_raw(store, name, json.dumps(mutate(data)).encode())
    with pytest.raises(InvalidMessageError, match=reason):
        read_message(store.new / name, Proposal)
    assert store.pending() == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("partial-1.json", b'{"version": 1, "id": "partial-1", "bot'),
        (".hidden.json", b"{}"),
        ("notes.txt", b"hello"),
        ("x.json.tmp", b"{}"),
    ],
)
def test_partial_and_foreign_files_are_ignored(store, name, content):
    """Truncated JSON and files not named <id>.json never show up as proposals."""
    _write_raw(store, name, content)
    assert store.pending() == []


def test_partial_writes_in_tmp_are_never_read(store):
    """A writer killed mid-write leaves a file in tmp/, which no reader looks at."""
    (store.tmp / "abc.1.tmp").write_bytes(b'{"version": 1')
    assert store.pending() == []


def test_a_symlinked_proposal_is_not_followed(store, tmp_path):
    """A link planted in new/ is refused rather than read through."""
    target = tmp_path / "secret"
    target.write_text("{}", encoding="utf-8")
    os.symlink(target, store.new / "evil.json")
    with pytest.raises(InvalidMessageError, match="cannot open"):
        read_message(store.new / "evil.json", Proposal)
    assert store.pending() == []


def test_an_oversized_file_is_rejected_unread(store):
    """Files over the size limit are refused before parsing."""
    _write_raw(store, "big.json", b" " * (4 * 1024 * 1024 + 1))
    with pytest.raises(InvalidMessageError, match="larger than"):
        read_message(store.new / "big.json", Proposal)


def test_recover_archives_unfinished_work_of_its_owner_only(store, key):
    """After a restart the owner archives its own proposals as interrupted; others stay."""
    mine = store.submit("demo", sample_request("capability-block"))
    decided = store.submit("demo", sample_request("egress-allow"))
    store.decide(decided.id, Approve(), key, decided_by="op")
    theirs = store.submit("demo", sample_request("gitleaks-allow"))
    records = store.recover("supervise")
    assert {r.proposal.id for r in records} == {mine.id, decided.id}
    assert all(r.outcome == "interrupted" for r in records)
    assert store.archive_record(decided.id).response is not None
    assert [e.proposal.id for e in store.pending()] == [theirs.id]


def test_leftovers_of_archived_proposals_are_removed_by_recover(store, key):
    """A crash between archiving and clearing leaves files that recover removes."""
    proposal = store.submit("demo", sample_request("capability-block"))
    store.archive(proposal, "timed_out", by="supervise")
    (store.new / f"{proposal.id}.json").write_text(proposal.model_dump_json(), encoding="utf-8")
    assert store.pending() == []
    store.recover("supervise")
    assert not (store.new / f"{proposal.id}.json").exists()


def test_an_egress_allow_proposal_round_trips_through_json(store):
    """What is read back equals what was written, so its content hash is stable."""
    request = EgressAllowRequest(
        route=Route(host="pypi.org", methods=("GET",), outbound_on_match="supervise"),
        justification="x",
    )
    proposal = store.submit("demo", request)
    again = read_message(store.new / f"{proposal.id}.json", Proposal)
    assert again == proposal
    assert content_hash(again) == content_hash(proposal)


def test_a_rejected_file_is_logged_with_its_reason(store, capsys):
    """The operator can find out why a proposal never showed up."""
    data = _valid_payload(store)
    _write_raw(store, f"{data['id']}.json", json.dumps({**data, "version": 7}).encode())
    assert store.pending() == []
    err = capsys.readouterr().err
    assert "ignoring invalid proposal" in err
    assert "unknown protocol version 7" in err


def test_queue_files_are_readable_by_components_running_as_other_uids(store, key):
    """Proposals and responses are 0644 whatever the writer's umask (no secret in them)."""
    old = os.umask(0o077)
    try:
        proposal = store.submit("demo", sample_request("capability-block"))
        store.decide(proposal.id, Approve(), key, decided_by="op")
    finally:
        os.umask(old)
    for path in (store.new / f"{proposal.id}.json", store.responses / f"{proposal.id}.json"):
        assert path.stat().st_mode & 0o777 == 0o644


def test_a_claim_moves_the_response_without_linking_it(store, key):
    """After a claim the response exists once, in claims/ (rename, not a hard link)."""
    proposal = store.submit("demo", sample_request("capability-block"))
    store.decide(proposal.id, Approve(), key, decided_by="op")
    store.claim(proposal, key)
    claimed = store.claims / f"{proposal.id}.json"
    assert not (store.responses / f"{proposal.id}.json").exists()
    assert claimed.stat().st_nlink == 1


def test_ensure_can_open_the_directories_to_a_shared_group(tmp_path):
    """The launcher can give every queue directory a mode its sidecars' group can use."""
    store = QueueStore(tmp_path / "q").ensure(mode=0o2770)
    for directory in (store.root, store.tmp, store.new, store.responses, store.processed):
        assert directory.stat().st_mode & 0o7777 == 0o2770
