"""Nothing without the host-only key can forge, move, alter or replay an approval."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from bb_protocol.queue import (
    ApprovalKey,
    Approve,
    KeyFileError,
    Reject,
    Response,
    content_hash,
    verify_response,
)
from bb_protocol.testing import sample_request


def _response_path(store, proposal_id: str):
    return store.responses / f"{proposal_id}.json"


def _tamper(store, proposal_id: str, change) -> None:
    path = _response_path(store, proposal_id)
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_response_signed_with_another_key_is_quarantined_not_applied(store, key):
    """A forger without the bottle's key gets nothing, and the operator can still decide."""
    proposal = store.submit("demo", sample_request("egress-allow"))
    store.decide(proposal.id, Approve(), ApprovalKey.generate(), decided_by="agent")
    assert store.claim(proposal, key) is None
    assert len(list(store.quarantine.iterdir())) == 1
    store.decide(proposal.id, Reject(reason="real"), key, decided_by="op")
    assert store.claim(proposal, key).decision == Reject(reason="real")


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(decision={"kind": "approve", "reason": "flipped"}),
        lambda d: d.update(decided_by="someone else"),
        lambda d: d.update(mac="0" * 64),
        lambda d: d.update(proposal_sha256="f" * 64),
    ],
)
def test_a_tampered_response_is_rejected(store, key, change):
    """Flipping the decision or any signed field breaks the MAC."""
    proposal = store.submit("demo", sample_request("egress-allow"))
    store.decide(proposal.id, Reject(reason="no"), key, decided_by="op")
    _tamper(store, proposal.id, change)
    assert store.claim(proposal, key) is None


def test_a_planted_unsigned_approval_is_rejected(store, key):
    """A hand-written approval file (no valid MAC) is never read as approval."""
    proposal = store.submit("demo", sample_request("capability-block"))
    planted = {
        "version": 1,
        "proposal_id": proposal.id,
        "proposal_sha256": content_hash(proposal),
        "decision": {"kind": "approve", "reason": ""},
        "decided_at": "2026-01-01T00:00:00Z",
        "decided_by": "agent",
        "nonce": "0" * 32,
        "mac": "0" * 64,
    }
    _response_path(store, proposal.id).write_text(json.dumps(planted), encoding="utf-8")
    assert store.claim(proposal, key) is None


def test_an_approval_cannot_be_replayed_onto_another_proposal(store, key):
    """Copying an approval to a second, identical request fails: the id is signed."""
    first = store.submit("demo", sample_request("egress-allow"))
    second = store.submit("demo", sample_request("egress-allow"))
    store.decide(first.id, Approve(), key, decided_by="op")
    data = json.loads(_response_path(store, first.id).read_text(encoding="utf-8"))
    data["proposal_id"] = second.id
    _response_path(store, second.id).write_text(json.dumps(data), encoding="utf-8")
    assert store.claim(second, key) is None
    assert store.claim(first, key) is not None


def test_an_approval_cannot_be_replayed_after_it_was_applied(store, key):
    """Putting an old, genuine response back after archiving never re-applies it."""
    proposal = store.submit("demo", sample_request("egress-allow"))
    store.decide(proposal.id, Approve(), key, decided_by="op")
    saved = _response_path(store, proposal.id).read_bytes()
    response = store.claim(proposal, key)
    store.archive(proposal, "approved", by="supervise", response=response)
    _response_path(store, proposal.id).write_bytes(saved)
    with pytest.raises(Exception, match="already archived"):
        store.claim(proposal, key)


def test_an_approval_does_not_cover_changed_content(store, key):
    """A genuine response for the original content is refused for changed content."""
    proposal = store.submit("demo", sample_request("egress-allow", tag="a"))
    response = store.decide(proposal.id, Approve(), key, decided_by="op")
    changed = proposal.model_copy(update={"request": sample_request("egress-allow", tag="b")})
    assert verify_response(proposal, response, key) is None
    assert "different proposal content" in verify_response(changed, response, key)


def test_responses_from_another_bottle_do_not_verify(tmp_path, store, key):
    """Each bottle has its own key; another bottle's genuine approval is a forgery here."""
    other_key = ApprovalKey.create_file(tmp_path / "other.key")
    proposal = store.submit("demo", sample_request("capability-block"))
    response = store.decide(proposal.id, Approve(), other_key, decided_by="op")
    assert "MAC" in verify_response(proposal, response, key)


def test_the_key_never_appears_in_its_repr(key):
    """Logging a key object shows nothing secret."""
    assert repr(key) == "ApprovalKey(<hidden>)"


def test_a_key_file_is_created_private_and_never_overwritten(tmp_path):
    """Mode 0600, and creating it twice refuses rather than replacing the key."""
    path = tmp_path / "approval.key"
    ApprovalKey.create_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(KeyFileError, match="already exists"):
        ApprovalKey.create_file(path)


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        ("zz" * 32, 0o600, "not hex"),
        ("ab" * 8, 0o600, "at least 32"),
        ("ab" * 32, 0o666, "writable by others"),
    ],
)
def test_a_bad_key_file_is_refused_with_a_reason(tmp_path, content, mode, message):
    """A short, malformed or world-writable key is never used."""
    path = tmp_path / "approval.key"
    path.write_text(content, encoding="ascii")
    os.chmod(path, mode)
    with pytest.raises(KeyFileError, match=message):
        ApprovalKey.load(path)


def test_a_missing_key_file_is_refused(tmp_path):
    """No key, no verification: the sidecar refuses to start."""
    with pytest.raises(KeyFileError, match="cannot read"):
        ApprovalKey.load(tmp_path / "absent.key")


def test_a_response_survives_a_copy_to_another_queue_only_for_the_same_proposal(
    tmp_path, store, key
):
    """Moving a queue directory (backup/restore) keeps genuine responses valid."""
    proposal = store.submit("demo", sample_request("capability-block"))
    store.decide(proposal.id, Approve(), key, decided_by="op")
    copy = tmp_path / "copy"
    shutil.copytree(store.root, copy)
    from bb_protocol.queue import QueueStore

    moved = QueueStore(copy)
    assert isinstance(moved.claim(proposal, key), Response)
