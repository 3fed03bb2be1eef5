"""Specification of bb_egress.queue_channel on a real queue directory."""

import asyncio
from pathlib import Path

import pytest

from bb_egress.queue_channel import QueueChannel, queue_channel_from_environ, to_request
from bb_egress.token_approval import TokenProposal, fingerprint
from bb_protocol.queue import ApprovalKey, Approve, QueueStore, Reject


def _proposal() -> TokenProposal:
    return TokenProposal(
        bottle="bottle-1",
        host="api.example.com",
        method="POST",
        path="/v1/upload",
        detectors=("github-pat",),
        previews=("ghp_…\x1b[31m",),
        fingerprint=fingerprint(["ghp_x"]),
    )


def _channel(tmp_path: Path) -> tuple[QueueChannel, QueueStore, ApprovalKey]:
    store = QueueStore(tmp_path / "queue").ensure()
    key = ApprovalKey.generate()
    return QueueChannel(store, key, poll_interval=0.01), store, key


async def _decide_when_pending(
    store: QueueStore, key: ApprovalKey, decision: Approve | Reject
) -> None:
    while not store.pending():
        await asyncio.sleep(0.01)
    entry = store.pending()[0]
    store.decide(entry.proposal.id, decision, key, decided_by="op@host")


def test_the_queue_message_carries_no_control_characters() -> None:
    """Previews are sanitised before they reach the operator's terminal."""
    request = to_request(_proposal())
    assert request.previews == ("ghp_…?[31m",)
    assert request.kind == "egress-token-allow"


@pytest.mark.parametrize(
    ("decision", "approved", "outcome"),
    [
        (Approve(reason="needed for the upload"), True, "approved"),
        (Reject(reason="no"), False, "rejected"),
    ],
)
@pytest.mark.anyio
async def test_the_operators_decision_is_returned_and_the_proposal_archived(
    tmp_path: Path, decision: Approve | Reject, approved: bool, outcome: str
) -> None:
    """Approve lets the request go, reject refuses; the proxy archives either way."""
    channel, store, key = _channel(tmp_path)
    async with asyncio.timeout(10):
        verdict, _ = await asyncio.gather(
            channel.ask(_proposal(), timeout=10), _decide_when_pending(store, key, decision)
        )
    assert verdict.approved is approved
    (record,) = store.archived()
    assert record.outcome == outcome
    assert record.archived_by == "egress"


@pytest.mark.anyio
async def test_no_decision_in_time_refuses_and_archives_timed_out(tmp_path: Path) -> None:
    """The timeout refuses and the proposal leaves the pending list."""
    channel, store, _key = _channel(tmp_path)
    verdict = await channel.ask(_proposal(), timeout=0.05)
    assert not verdict.approved
    assert store.pending() == []
    assert store.archived()[0].outcome == "timed_out"


@pytest.mark.anyio
async def test_a_response_signed_with_another_key_is_never_approval(tmp_path: Path) -> None:
    """A forged response is quarantined; the ask times out refused."""
    channel, store, _key = _channel(tmp_path)
    forger = ApprovalKey.generate()
    verdict, _ = await asyncio.gather(
        channel.ask(_proposal(), timeout=0.5),
        _decide_when_pending(store, forger, Approve(reason="x")),
    )
    assert not verdict.approved


def test_without_queue_dir_or_key_there_is_no_channel() -> None:
    """Both the queue directory and the key file are required."""
    assert queue_channel_from_environ({}) is None
    assert queue_channel_from_environ({"BOT_BOTTLE_QUEUE_DIR": "/q"}) is None
