"""`PendingIndex` and the operator over many bottles: same answers, files parsed once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_cli.applicator import Bottle, BottleNotFoundError, Operator, discover_bottles
from bb_cli.applicator.index import PendingIndex
from bb_protocol.paths import approval_key_file, queue_dir
from bb_protocol.queue import ApprovalKey, Approve, QueueStore
from bb_protocol.testing import sample_request


def _view(entries):
    return [(e.proposal.id, e.response is not None, e.claimed) for e in entries]


@pytest.fixture
def store(tmp_path: Path) -> QueueStore:
    return QueueStore(tmp_path / "queue").ensure()


@pytest.fixture
def key() -> ApprovalKey:
    return ApprovalKey.generate()


def test_the_index_lists_what_the_store_lists_through_a_whole_lifecycle(store, key):
    """Pending, decided, claimed and archived proposals: the same view as `pending()`."""
    index = PendingIndex(store)
    a = store.submit("demo", sample_request("capability-block", "a"))
    b = store.submit("demo", sample_request("egress-token-allow", "b"))
    c = store.submit("demo", sample_request("gitleaks-allow", "c"))
    assert _view(index.refresh()) == _view(store.pending())
    store.decide(a.id, Approve(reason="ok"), key, decided_by="op")
    store.decide(b.id, Approve(reason="ok"), key, decided_by="op")
    assert _view(index.refresh()) == _view(store.pending())
    response = store.claim(b, key)
    assert _view(index.refresh()) == _view(store.pending())
    store.archive(b, "approved", by="egress", response=response)
    assert _view(index.refresh()) == _view(store.pending())
    assert [e.proposal.id for e in index.refresh()] == [a.id, c.id]


def test_a_refresh_with_nothing_new_parses_no_file(store, key):
    """Queue files never change once written: each is parsed once, not every refresh."""
    index = PendingIndex(store)
    for i in range(5):
        proposal = store.submit("demo", sample_request("capability-block", str(i)))
    store.decide(proposal.id, Approve(reason="ok"), key, decided_by="op")
    index.refresh()
    parsed = index.parsed
    for _ in range(3):
        index.refresh()
    assert index.parsed == parsed
    store.submit("demo", sample_request("capability-block", "new"))
    index.refresh()
    assert index.parsed == parsed + 1


def test_an_invalid_proposal_is_skipped_and_not_read_again(store):
    """A malformed file in new/ is logged once and left out of the listing."""
    (store.new / "capability-block-20260101t000000z-0000000000000000.json").write_text("{")
    index = PendingIndex(store)
    assert index.refresh() == []
    parsed = index.parsed
    assert index.refresh() == []
    assert index.parsed == parsed


def test_a_proposal_left_in_new_after_its_archive_is_not_listed(store):
    """An owner killed between archiving and clearing leaves new/<id>: it is not pending."""
    proposal = store.submit("demo", sample_request("capability-block"))
    store.archive(proposal, "interrupted", by="supervise")
    (store.new / f"{proposal.id}.json").write_text(proposal.model_dump_json())
    assert PendingIndex(store).refresh() == []


def _bottle(env: dict[str, str], slug: str) -> QueueStore:
    store = QueueStore(queue_dir(slug, env)).ensure()
    ApprovalKey.create_file(approval_key_file(slug, env))
    return store


def test_the_operator_finds_a_proposal_in_its_own_bottle_among_many(tmp_path):
    """`find` goes to the bottle whose queue holds the id, and decides it there."""
    env = {"BOT_BOTTLE_STATE_DIR": str(tmp_path)}
    stores = {slug: _bottle(env, slug) for slug in ("one", "two", "three")}
    wanted = stores["two"].submit("two", sample_request("capability-block"))
    stores["one"].submit("one", sample_request("capability-block"))
    operator = Operator(discover_bottles(env), decided_by="op@test")
    item = operator.find(wanted.id)
    assert (item.bottle.slug, item.id) == ("two", wanted.id)
    operator.decide(wanted.id, Approve(reason="ok"))
    assert stores["two"].pending()[0].response is not None
    with pytest.raises(BottleNotFoundError):
        operator.find("capability-block-20260101t000000z-0000000000000000")
    with pytest.raises(BottleNotFoundError):
        operator.find("../not-an-id")


def test_an_operator_with_discovery_sees_bottles_started_after_it(tmp_path):
    """The TUI's operator re-discovers: a new bottle's proposals appear, a removed one's go."""
    env = {"BOT_BOTTLE_STATE_DIR": str(tmp_path)}
    _bottle(env, "first").submit("first", sample_request("capability-block"))
    operator = Operator(discover_bottles(env), discover=lambda: discover_bottles(env))
    assert {i.bottle.slug for i in operator.items()} == {"first"}
    _bottle(env, "later").submit("later", sample_request("capability-block"))
    assert {i.bottle.slug for i in operator.items()} == {"first", "later"}


class ElsewhereQueue:
    """A bottle's queue reached through the `ApprovalQueue` contract only, as a backend's
    client of a remote queue would be: no directory, no `PendingIndex`."""

    def __init__(self, store: QueueStore) -> None:
        self._store = store

    def pending(self):
        return self._store.pending()

    def get(self, proposal_id):
        return self._store.get(proposal_id)

    def decide(self, proposal_id, decision, key, *, decided_by, seen_sha256=None):
        return self._store.decide(
            proposal_id, decision, key, decided_by=decided_by, seen_sha256=seen_sha256
        )


def test_the_operator_lists_finds_and_decides_through_the_queue_contract_alone(tmp_path):
    """A queue that is not a local QueueStore works the same (the Kubernetes seam)."""
    env = {"BOT_BOTTLE_STATE_DIR": str(tmp_path)}
    local = _bottle(env, "far")
    proposal = local.submit("far", sample_request("capability-block"))
    (bottle,) = discover_bottles(env)
    remote = Bottle(
        slug="far",
        store=ElsewhereQueue(local),
        key_file=bottle.key_file,
        routes_file=bottle.routes_file,
    )
    operator = Operator([remote], decided_by="op@test")
    assert [i.id for i in operator.items()] == [proposal.id]
    assert operator.find(proposal.id).bottle is remote
    operator.decide(proposal.id, Approve(reason="ok"))
    assert operator.items()[0].status == "decided: approve"


def test_an_unchanged_queue_is_not_re_derived_and_a_change_is_seen(store, key):
    """Same names in new/, responses/, claims/: same entries, no rebuild; a decision shows."""
    index = PendingIndex(store)
    proposal = store.submit("demo", sample_request("capability-block"))
    first = index.refresh()
    version = index.version
    assert index.refresh() == first
    assert index.version == version
    store.decide(proposal.id, Approve(reason="ok"), key, decided_by="op")
    (entry,) = index.refresh()
    assert index.version == version + 1
    assert entry.response is not None
    assert not entry.claimed


def test_the_operator_answers_the_same_until_a_queue_changes(tmp_path):
    """Across bottles, an unchanged poll returns the same items; a new proposal is added."""
    env = {"BOT_BOTTLE_STATE_DIR": str(tmp_path)}
    stores = {slug: _bottle(env, slug) for slug in ("one", "two")}
    stores["one"].submit("one", sample_request("capability-block", "a"))
    stores["two"].submit("two", sample_request("capability-block", "b"))
    operator = Operator(discover_bottles(env), discover=lambda: discover_bottles(env))
    first = operator.items()
    assert [i.id for i in operator.items()] == [i.id for i in first]
    later = stores["two"].submit("two", sample_request("capability-block", "c"))
    assert [i.id for i in operator.items()] == [*(i.id for i in first), later.id]
