"""Specification of bb_egress.token_approval: ask once, remember approvals, fail closed."""

import asyncio

import pytest

from bb_egress.token_approval import (
    DisabledChannel,
    TokenApprover,
    TokenProposal,
    Verdict,
    fingerprint,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _proposal(values: frozenset[str]) -> TokenProposal:
    return TokenProposal(
        bottle="b",
        host="api.example.com",
        method="POST",
        path="/x",
        detectors=("generic",),
        previews=("sk-…",),
        fingerprint=fingerprint(values),
    )


class RecordingChannel:
    """A channel answering from a fixed verdict and counting asks."""

    def __init__(self, verdict: object, delay: float = 0.0) -> None:
        self.verdict = verdict
        self.delay = delay
        self.asked: list[TokenProposal] = []

    async def ask(self, proposal: TokenProposal, timeout: float) -> Verdict:
        self.asked.append(proposal)
        await asyncio.sleep(self.delay)
        if isinstance(self.verdict, Exception):
            raise self.verdict
        return self.verdict  # type: ignore[return-value]


@pytest.mark.anyio
async def test_an_approval_is_remembered_as_safe_tokens() -> None:
    """After approval the values are safe and are not asked about again."""
    channel = RecordingChannel(Verdict(True, "ok"))
    approver = TokenApprover(channel, timeout=5)
    values = frozenset({"sk-1"})
    assert (await approver.approve(_proposal(values), values)).approved
    assert approver.safe_tokens == values
    assert (await approver.approve(_proposal(values), values)).approved
    assert len(channel.asked) == 1


@pytest.mark.anyio
async def test_concurrent_identical_asks_share_one_proposal() -> None:
    """Two requests with the same secret wait on one operator decision."""
    channel = RecordingChannel(Verdict(True, "ok"), delay=0.05)
    approver = TokenApprover(channel, timeout=5)
    values = frozenset({"sk-1"})
    results = await asyncio.gather(
        approver.approve(_proposal(values), values), approver.approve(_proposal(values), values)
    )
    assert all(v.approved for v in results)
    assert len(channel.asked) == 1


@pytest.mark.parametrize(
    ("channel", "reason_part"),
    [
        (RecordingChannel(Verdict(False, "operator said no")), "operator said no"),
        (RecordingChannel(RuntimeError("queue gone")), "approval channel failed"),
        (RecordingChannel({"approved": True}), "malformed verdict"),
        (RecordingChannel(Verdict(True, "late"), delay=3), "no decision within"),
        (DisabledChannel(), "supervise is disabled"),
    ],
)
@pytest.mark.anyio
async def test_rejection_errors_malformed_answers_timeouts_and_disabled_all_refuse(
    channel: object, reason_part: str
) -> None:
    """Everything but an explicit approval refuses, and nothing becomes safe."""
    approver = TokenApprover(channel, timeout=0.1)  # type: ignore[arg-type]
    values = frozenset({"sk-1"})
    verdict = await approver.approve(_proposal(values), values)
    assert not verdict.approved
    assert reason_part in verdict.reason
    assert approver.safe_tokens == frozenset()


@pytest.mark.anyio
async def test_each_new_hold_is_reported_once_and_never_with_the_value() -> None:
    """``on_hold`` sees one call per distinct ask (joined asks and known values: none)."""
    holds: list[TokenProposal] = []
    channel = RecordingChannel(Verdict(True, "ok"), delay=0.05)
    approver = TokenApprover(channel, timeout=5, on_hold=holds.append)
    values = frozenset({"sk-1"})
    await asyncio.gather(
        approver.approve(_proposal(values), values), approver.approve(_proposal(values), values)
    )
    await approver.approve(_proposal(values), values)  # already safe: no new hold
    assert len(holds) == 1
    assert "sk-1" not in repr(holds[0])


@pytest.mark.anyio
async def test_a_failing_hold_recorder_never_decides() -> None:
    """An audit failure is logged; the operator's verdict still stands."""

    def broken(_proposal: TokenProposal) -> None:
        raise OSError("disk full")

    approver = TokenApprover(RecordingChannel(Verdict(False, "no")), timeout=5, on_hold=broken)
    values = frozenset({"sk-2"})
    assert not (await approver.approve(_proposal(values), values)).approved


def test_the_proxy_audits_a_hold_as_held_with_its_detectors(tmp_path) -> None:
    """proxy_main's recorder writes a ``held`` line naming detectors, never a value."""
    import json

    from bb_egress.audit import AuditLog
    from bb_egress.proxy_main import held_recorder

    log = AuditLog(tmp_path / "audit.jsonl")
    held_recorder(log)(_proposal(frozenset({"sk-3"})))
    log.close()
    line = json.loads((tmp_path / "audit.jsonl").read_text())
    assert (line["decision"], line["reason"]) == ("held", "dlp-supervise")
    assert line["detectors"]
    assert "sk-3" not in json.dumps(line)
