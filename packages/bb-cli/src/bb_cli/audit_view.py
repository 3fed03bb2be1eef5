"""Pure: the audit trail as the operator reads it (``bb audit``, ``bb routes suggest``).

Lines come from two files with one record shape (`bb_protocol.audit.AuditRecord`): the
egress proxy's and the git gate's. This module parses lines (a malformed line is counted,
never fatal: the file is written by a sidecar the host does not trust blindly), reads
``--since`` (a duration such as ``10m`` or a time), merges the two streams by time and
turns a record into a table row. No file or terminal I/O here: `bb_cli.audit_tail` reads
the files, `bb_cli.commands.audit` prints.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import ValidationError

from bb_protocol.audit import AuditRecord

__all__ = [
    "COLUMNS",
    "LineParser",
    "merge_by_time",
    "parse_since",
    "row",
]

COLUMNS: Final = ("time", "bottle", "from", "decision", "request", "why")
"""The table's columns, in order."""

_DURATION: Final = re.compile(r"^(\d+)\s*(s|m|h|d)$")
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime) -> datetime:
    """``--since``: a duration before ``now`` (``90s``, ``10m``, ``2h``, ``1d``) or a time.

    A time is ISO 8601 (``2026-11-29T23:00``, ``2026-11-29 23:00:00+01:00``); without a
    zone it is UTC. Raise `ValueError` with an example otherwise.
    """
    value = text.strip()
    match = _DURATION.match(value)
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"--since {text!r} is neither a duration (90s, 10m, 2h, 1d) nor an ISO time"
            " (2026-11-29T23:00)"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


@dataclass
class LineParser:
    """Parses audit lines, counting (not raising on) lines that are not records."""

    malformed: int = 0
    """Lines seen that were not valid records."""

    def parse(self, line: str) -> AuditRecord | None:
        """The record on ``line``, or `None` (blank or malformed; malformed is counted)."""
        if not line.strip():
            return None
        try:
            return AuditRecord.model_validate_json(line)
        except ValidationError:
            self.malformed += 1
            return None

    def parse_all(self, lines: Iterable[str]) -> Iterator[AuditRecord]:
        """Every record in ``lines``, in order."""
        for line in lines:
            record = self.parse(line)
            if record is not None:
                yield record


def merge_by_time(*streams: Iterable[AuditRecord]) -> Iterator[AuditRecord]:
    """One stream ordered by time from streams each already in time order (lazy, linear)."""
    return heapq.merge(*streams, key=lambda r: r.time)


def _request(record: AuditRecord) -> str:
    if record.component == "gitgate":
        return f"push {record.host} {record.path}".rstrip()
    where = record.host if record.port in (0, 443) else f"{record.host}:{record.port}"
    return f"{record.method} {where}{record.path}"


def _why(record: AuditRecord) -> str:
    parts = []
    if record.reason:
        parts.append(record.reason)
    if record.detectors:
        parts.append("dlp: " + ",".join(record.detectors))
    if record.observed:
        parts.append("observed")
    if not parts and record.route and record.component == "egress":
        parts.append(f"route {record.route}")
    return "; ".join(parts)


def row(record: AuditRecord) -> tuple[str, ...]:
    """The record as table cells, in `COLUMNS` order (local-free: times are UTC)."""
    when = record.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return (when, record.bottle, record.component, record.decision, _request(record), _why(record))
