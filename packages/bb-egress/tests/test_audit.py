"""Specification of bb_egress.audit: one JSON line per decision, never a secret."""

import json
from pathlib import Path

import pytest

from bb_egress.audit import AuditLog, AuditRecord, safe_path


@pytest.mark.parametrize(
    ("target", "tainted", "logged"),
    [
        ("/repos/x?token=abc", False, "/repos/x"),
        ("/a#frag", False, "/a"),
        ("/key/sk-secret", True, "[redacted]"),
        ("/" + "a" * 1000, False, "/" + "a" * 511),
    ],
)
def test_paths_are_logged_without_query_and_redacted_when_tainted(
    target: str, tainted: bool, logged: str
) -> None:
    """The query never reaches the log; a path with a finding is replaced."""
    assert safe_path(target, tainted=tainted) == logged


def test_each_record_is_one_json_line(tmp_path: Path) -> None:
    """Records append as JSON objects with the documented fields."""
    log = AuditLog(tmp_path / "sub" / "audit.jsonl")
    log.write(AuditRecord(bottle="b", method="GET", host="h", port=443, decision="allow"))
    log.write(
        AuditRecord(
            bottle="b",
            method="POST",
            host="h",
            port=443,
            decision="deny",
            reason="dlp-block",
            detectors=("github-pat",),
        )
    )
    log.close()
    lines = (tmp_path / "sub" / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 2
    second = json.loads(lines[1])
    assert second["decision"] == "deny"
    assert second["detectors"] == ["github-pat"]
    assert set(second) == {
        "time",
        "bottle",
        "component",
        "method",
        "host",
        "port",
        "path",
        "route",
        "decision",
        "reason",
        "detectors",
        "observed",
    }
    assert second["component"] == "egress"


def test_without_a_path_records_are_discarded() -> None:
    """An unconfigured audit log accepts writes and does nothing."""
    AuditLog(None).write(AuditRecord(bottle="b", method="GET", host="h", port=1, decision="allow"))


def test_observe_mode_marks_no_route_denials_as_observations(tmp_path: Path) -> None:
    """In observe mode a no-route denial is still a denial, recorded as an observation."""
    log = AuditLog(tmp_path / "audit.jsonl", observe=True)
    log.write(
        AuditRecord(
            bottle="b",
            method="GET",
            host="h",
            port=443,
            decision="deny",
            reason="no-route",
            path="/v1/x",
        )
    )
    log.write(
        AuditRecord(
            bottle="b", method="GET", host="h", port=443, decision="deny", reason="dlp-block"
        )
    )
    log.close()
    first, second = (json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines())
    assert (first["decision"], first["observed"], first["path"]) == ("deny", True, "/v1/x")
    assert second["observed"] is False
