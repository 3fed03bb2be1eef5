"""Waiting for the operator: submit a proposal, block until it is decided or times out.

The supervise server owns the proposals its tools write, so it alone archives them: after
a verified response is claimed (once), on timeout, and when the call is cancelled (the
agent hung up), in which case it is archived as ``interrupted`` and nothing is applied.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict

from bb_protocol.logging import get_logger
from bb_protocol.queue import (
    AlreadyArchivedError,
    ApprovalKey,
    Outcome,
    Proposal,
    QueueStore,
    Request,
    Response,
)

__all__ = ["DecisionResult", "await_decision"]

_log = get_logger("bb-supervise.waiting")

_OUTCOME: dict[str, Outcome] = {"approve": "approved", "modify": "modified", "reject": "rejected"}


class DecisionResult(BaseModel):
    """What a proposing tool returns to the agent."""

    model_config = ConfigDict(frozen=True)

    proposal_id: str
    """The proposal's id in the queue (for the operator's records)."""
    decision: Literal["approved", "modified", "rejected", "timed_out"]
    """What happened: ``modified`` means approved in the changed form given in ``applied``."""
    reason: str
    """The operator's reason (or why nothing was decided)."""
    applied: dict[str, Any] | None = None
    """The request as approved (the operator's version when modified); None otherwise."""


def _result(proposal: Proposal, response: Response) -> DecisionResult:
    decision = response.decision
    applied: Request | None
    if decision.kind == "modify":
        applied = decision.request
    elif decision.kind == "approve":
        applied = proposal.request
    else:
        applied = None
    return DecisionResult(
        proposal_id=proposal.id,
        decision=_OUTCOME[decision.kind],
        reason=decision.reason,
        applied=None if applied is None else applied.model_dump(mode="json", exclude_none=True),
    )


async def await_decision(
    store: QueueStore,
    key: ApprovalKey,
    bottle: str,
    request: Request,
    *,
    timeout: float,
    poll_interval: float,
    progress: Callable[[float], Awaitable[None]] | None = None,
    progress_every: float = 5.0,
) -> DecisionResult:
    """Submit ``request`` and wait for the operator; archive the proposal however it ends.

    ``progress`` is called with the seconds waited so far every ``progress_every`` seconds,
    so a client that resets its own timeout on progress keeps waiting.
    """
    proposal = store.submit(bottle, request)
    started = last_report = anyio.current_time()
    response: Response | None = None
    archived = False
    try:
        with anyio.move_on_after(timeout):
            while (response := store.claim(proposal, key)) is None:
                await anyio.sleep(poll_interval)
                now = anyio.current_time()
                if progress is not None and now - last_report >= progress_every:
                    last_report = now
                    await progress(now - started)
        if response is None:
            store.archive(
                proposal, "timed_out", by="supervise", detail=f"no decision within {timeout:g} s"
            )
            archived = True
            return DecisionResult(
                proposal_id=proposal.id,
                decision="timed_out",
                reason=f"the operator did not decide within {timeout:g} s; ask again later",
            )
        result = _result(proposal, response)
        store.archive(proposal, _OUTCOME[response.decision.kind], by="supervise", response=response)
        archived = True
        _log.info("decision returned", {"id": proposal.id, "decision": result.decision})
        return result
    finally:
        if not archived:
            with anyio.CancelScope(shield=True), contextlib.suppress(AlreadyArchivedError):
                store.archive(
                    proposal,
                    "interrupted",
                    by="supervise",
                    response=response,
                    detail="the call ended before a decision was returned; nothing was applied",
                )
