"""Specification of bb_cli.audit_view and bb_cli.audit_tail: the audit trail as read on the host."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bb_cli.audit_tail import AuditTail, read_records
from bb_cli.audit_view import LineParser, merge_by_time, parse_since, row
from bb_protocol.audit import AuditLog, AuditRecord

NOW = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)


def rec(minute: int, **fields: object) -> AuditRecord:
    base: dict[str, object] = {
        "bottle": "b",
        "method": "GET",
        "host": "h.test",
        "port": 443,
        "decision": "allow",
        "time": NOW + timedelta(minutes=minute),
    }
    return AuditRecord.model_validate({**base, **fields})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", NOW - timedelta(seconds=90)),
        ("10m", NOW - timedelta(minutes=10)),
        ("2h", NOW - timedelta(hours=2)),
        ("1d", NOW - timedelta(days=1)),
        ("2026-11-29T22:00", datetime(2026, 11, 29, 22, 0, tzinfo=UTC)),
        ("2026-11-29T22:00+01:00", datetime(2026, 11, 29, 21, 0, tzinfo=UTC)),
    ],
)
def test_since_takes_a_duration_or_a_time(text: str, expected: datetime) -> None:
    """Durations count back from now; a time without a zone is UTC."""
    assert parse_since(text, NOW) == expected


def test_since_refuses_anything_else_with_an_example() -> None:
    """A typo is an error that shows the accepted forms."""
    with pytest.raises(ValueError, match=r"10m.*2026-11-29T23:00"):
        parse_since("yesterday", NOW)


def test_malformed_lines_are_counted_never_fatal() -> None:
    """A line a sidecar garbled is skipped and counted; the good ones still come through."""
    parser = LineParser()
    lines = [rec(0).model_dump_json(), "{not json", '{"bottle": "b"}', "", rec(1).model_dump_json()]
    assert len(list(parser.parse_all(lines))) == 2
    assert parser.malformed == 2


def test_lines_without_the_newer_fields_are_egress_lines() -> None:
    """A line written before ``component`` existed reads as an egress decision."""
    line = '{"time": "2026-11-29T23:00:00Z", "bottle": "b", "method": "GET", "host": "h",'
    line += ' "port": 443, "decision": "deny", "reason": "no-route", "detectors": []}'
    record = LineParser().parse(line)
    assert record is not None
    assert (record.component, record.observed) == ("egress", False)


def test_two_streams_merge_by_time() -> None:
    """Egress and gate decisions interleave in time order."""
    egress = [rec(0), rec(2)]
    gate = [rec(1, component="gitgate", method="PUSH")]
    assert [r.time.minute for r in merge_by_time(egress, gate)] == [0, 1, 2]


@pytest.mark.parametrize(
    ("record", "asked", "why"),
    [
        (rec(0, route="https://h.test:443", path="/x"), "GET h.test/x", "route https://h.test:443"),
        (
            rec(
                0,
                decision="deny",
                reason="dlp-block",
                detectors=("github-pat",),
                port=8000,
                path="[redacted]",
            ),
            "GET h.test:8000[redacted]",
            "dlp-block; dlp: github-pat",
        ),
        (
            rec(0, decision="deny", reason="no-route", observed=True),
            "GET h.test",
            "no-route; observed",
        ),
        (
            rec(
                0,
                component="gitgate",
                method="PUSH",
                host="app",
                port=0,
                path="refs/heads/main",
                decision="held",
                detectors=("aws-access-token",),
            ),
            "push app refs/heads/main",
            "dlp: aws-access-token",
        ),
    ],
)
def test_a_row_names_the_request_and_why(record: AuditRecord, asked: str, why: str) -> None:
    """The request column and the why column say what was asked and what decided it."""
    cells = row(record)
    assert cells[0] == "2026-11-29 23:00:00"
    assert (cells[4], cells[5]) == (asked, why)


def test_reading_a_missing_file_yields_nothing(tmp_path: Path) -> None:
    """A bottle whose gate never wrote a line has an empty gate stream."""
    assert list(read_records(tmp_path / "absent.jsonl", LineParser())) == []


def test_the_tail_returns_only_what_was_appended_and_waits_for_whole_lines(
    tmp_path: Path,
) -> None:
    """Each poll reads the new bytes; a half-written line waits for its newline."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.write(rec(0))
    tail = AuditTail([path, tmp_path / "later.jsonl"], LineParser(), from_end=False)
    assert len(tail.poll()) == 1
    assert tail.poll() == []
    half = rec(1).model_dump_json()
    with path.open("a") as handle:
        handle.write(half[:10])
    assert tail.poll() == []
    with path.open("a") as handle:
        handle.write(half[10:] + "\n")
    assert [r.time.minute for r in tail.poll()] == [1]
    AuditLog(tmp_path / "later.jsonl").write(rec(2))  # a file that appears later is read too
    assert [r.time.minute for r in tail.poll()] == [2]


def test_a_tail_from_the_end_skips_the_history(tmp_path: Path) -> None:
    """``from_end`` starts after what the file already holds."""
    path = tmp_path / "audit.jsonl"
    AuditLog(path).write(rec(0))
    tail = AuditTail([path], LineParser(), from_end=True)
    assert tail.poll() == []
    AuditLog(path).write(rec(1))
    assert len(tail.poll()) == 1
