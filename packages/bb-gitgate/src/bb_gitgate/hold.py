"""Hold a push while the operator decides: poll the queue until a verdict or the deadline.

Pure control flow with the clock and the sleep injected, so tests drive it without
waiting. A verdict whose binding differs from the proposal's is not a decision on these
commits: it is ignored (and logged), and the hold continues until the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bb_gitgate.approvals import ApprovalQueue, Verdict

__all__ = ["HoldResult", "wait_for_verdict"]


@dataclass(frozen=True)
class HoldResult:
    """How a hold ended: a verdict bound to the proposal, or None on timeout."""

    verdict: Verdict | None
    waited_seconds: float
    ignored_mismatches: int


def wait_for_verdict(
    queue: ApprovalQueue,
    proposal_id: str,
    binding: str,
    *,
    timeout: float,
    interval: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_tick: Callable[[float], None] | None = None,
) -> HoldResult:
    """Poll ``queue`` every ``interval`` s until a verdict bound to ``binding`` or ``timeout``."""
    start = clock()
    mismatches = 0
    while True:
        verdict = queue.verdict(proposal_id)
        if verdict is not None:
            if verdict.binding == binding:
                return HoldResult(verdict, clock() - start, mismatches)
            mismatches += 1
        elapsed = clock() - start
        if elapsed >= timeout:
            return HoldResult(None, elapsed, mismatches)
        if on_tick is not None:
            on_tick(elapsed)
        sleep(min(interval, max(timeout - elapsed, 0.0)))
