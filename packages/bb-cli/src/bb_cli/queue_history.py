"""Decided proposals (the queue's archive) as the operator reads them: who, when, why.

Each bottle's owner sidecar archives a proposal once it acted on it
(`bb_protocol.queue.ArchiveRecord`: the proposal, the operator's signed response, the
outcome). `history_rows` turns those records into rows (pure); `load_history` reads the
archives of the bottles on this host. Shown by ``bb queue history`` and the TUI's history
screen (``h``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bb_cli.describe import summary
from bb_protocol.queue import ArchiveRecord, QueueStore
from bb_protocol.sanitize import sanitize_line

__all__ = ["HistoryRow", "history_rows", "load_history"]


@dataclass(frozen=True)
class HistoryRow:
    """One decided (or expired) proposal."""

    id: str
    bottle: str
    kind: str
    summary: str
    """One sanitised line describing the request (`bb_cli.describe.summary`)."""
    outcome: str
    """What the owner did: approved, modified, rejected, timed_out, failed, interrupted."""
    decision: str | None
    """The operator's decision (approve, reject, modify), `None` when nobody decided."""
    reason: str
    """The operator's reason (empty when none was given or nobody decided)."""
    decided_by: str | None
    """``user@host`` of the operator, `None` when nobody decided."""
    decided_at: str | None
    """When the operator decided (ISO 8601, UTC)."""
    proposed_at: str
    """When the proposal was made."""
    archived_at: str
    """When the owner finished with it."""
    detail: str
    """What the owner reported (an error, a timeout)."""

    def as_json(self) -> dict[str, Any]:
        """The row as a JSON object (``bb queue history --json``)."""
        return asdict(self)


def _row(record: ArchiveRecord) -> HistoryRow:
    response = record.response
    decision = response.decision if response is not None else None
    return HistoryRow(
        id=record.proposal.id,
        bottle=record.proposal.bottle,
        kind=record.proposal.kind,
        summary=summary(record.proposal.request),
        outcome=record.outcome,
        decision=decision.kind if decision is not None else None,
        reason=sanitize_line(getattr(decision, "reason", "") or "", max_line=300),
        decided_by=response.decided_by if response is not None else None,
        decided_at=response.decided_at.isoformat() if response is not None else None,
        proposed_at=record.proposal.created_at.isoformat(),
        archived_at=record.archived_at.isoformat(),
        detail=sanitize_line(record.detail, max_line=300),
    )


def history_rows(records: Iterable[ArchiveRecord]) -> list[HistoryRow]:
    """Rows for ``records``, newest first (by archive time, then id)."""
    ordered = sorted(records, key=lambda r: (r.archived_at, r.proposal.id), reverse=True)
    return [_row(r) for r in ordered]


def load_history(stores: Sequence[object]) -> list[ArchiveRecord]:
    """Every archive record of the bottles' queue stores on this host (others are skipped)."""
    out: list[ArchiveRecord] = []
    for store in stores:
        if isinstance(store, QueueStore):
            out.extend(store.archived())
    return out
