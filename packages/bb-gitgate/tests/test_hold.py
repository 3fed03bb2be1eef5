"""Holding a push: polling the queue with an injected clock (no real waiting)."""

from __future__ import annotations

from bb_gitgate.approvals import Outcome, Verdict, binding_for
from bb_gitgate.hold import wait_for_verdict
from bb_gitgate.refs import RefUpdate
from bb_protocol.queue import GitleaksAllowRequest

UPDATE = RefUpdate(old="a" * 40, new="b" * 40, ref="refs/heads/main")


class ScriptedQueue:
    """An ApprovalQueue whose verdict appears after a number of polls."""

    def __init__(self, verdicts: list[Verdict | None]) -> None:
        self.verdicts = verdicts
        self.polls = 0

    def submit(self, request: GitleaksAllowRequest) -> str:
        return "p1"

    def verdict(self, proposal_id: str) -> Verdict | None:
        self.polls += 1
        return self.verdicts.pop(0) if self.verdicts else None

    def archive(self, proposal_id: str, outcome: Outcome, detail: str = "") -> None:
        pass


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_verdict_bound_to_the_proposal_ends_the_hold():
    """The first verdict with the right binding is returned."""
    clock = FakeClock()
    queue = ScriptedQueue([None, None, Verdict(kind="approved", reason="ok", binding="B")])
    result = wait_for_verdict(
        queue, "p1", "B", timeout=10, interval=1, clock=clock, sleep=clock.sleep
    )
    assert result.verdict is not None
    assert result.verdict.kind == "approved"
    assert clock.sleeps == [1, 1]


def test_the_queue_is_polled_every_interval_until_the_timeout():
    """No verdict: poll each interval, give up at the deadline with None."""
    clock = FakeClock()
    queue = ScriptedQueue([])
    result = wait_for_verdict(
        queue, "p1", "B", timeout=5, interval=1, clock=clock, sleep=clock.sleep
    )
    assert result.verdict is None
    assert queue.polls == 6
    assert sum(clock.sleeps) == 5


def test_a_verdict_bound_to_other_commits_is_ignored():
    """A decision naming another binding does not release the push."""
    clock = FakeClock()
    queue = ScriptedQueue([Verdict(kind="approved", binding="OTHER")])
    result = wait_for_verdict(
        queue, "p1", "B", timeout=3, interval=1, clock=clock, sleep=clock.sleep
    )
    assert result.verdict is None
    assert result.ignored_mismatches == 1


def test_the_binding_changes_with_any_commit_or_ref():
    """Binding covers repo, updates and commits."""
    base = binding_for("app", [UPDATE], ["c" * 40])
    assert base == binding_for("app", [UPDATE], ["c" * 40])
    assert base != binding_for("app", [UPDATE], ["d" * 40])
    assert base != binding_for("other", [UPDATE], ["c" * 40])
    moved = RefUpdate(old="a" * 40, new="e" * 40, ref="refs/heads/main")
    assert base != binding_for("app", [moved], ["c" * 40])
