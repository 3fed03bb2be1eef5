"""``bb audit`` over real audit files (no engine needed: it only reads the host state)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bb_cli.app import app
from bb_cli.state import BottleRecord, save_record
from bb_protocol.audit import AuditLog, AuditRecord
from bb_protocol.paths import egress_audit_file, gitgate_audit_file


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two bottles with egress lines, one with a gate line, written by the real writer."""
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path))
    now = datetime.now(UTC)
    for slug in ("one", "two"):
        save_record(
            BottleRecord(
                slug=slug,
                agent="shell",
                bottle="shell",
                runtime="shell",
                backend="compose",
                project=f"bb-{slug}",
                agent_container=f"bot-bottle-{slug}",
            )
        )
        log = AuditLog(egress_audit_file(slug))
        log.write(
            AuditRecord(
                time=now - timedelta(hours=2),
                bottle=slug,
                method="GET",
                host="old.test",
                port=443,
                decision="allow",
            )
        )
        log.write(
            AuditRecord(
                time=now,
                bottle=slug,
                method="POST",
                host="new.test",
                port=443,
                path="[redacted]",
                decision="deny",
                reason="dlp-block",
                detectors=("github-pat",),
            )
        )
        log.close()
    gate = AuditLog(gitgate_audit_file("one"))
    gate.write(
        AuditRecord(
            time=now - timedelta(minutes=1),
            bottle="one",
            component="gitgate",
            method="PUSH",
            host="app",
            port=0,
            path="refs/heads/main",
            decision="held",
            detectors=("aws-access-token",),
        )
    )
    gate.close()
    return tmp_path


def test_one_bottle_merges_egress_and_gate_lines_by_time(state: Path) -> None:
    """Egress and gate decisions of the bottle, in time order, as JSON lines."""
    done = CliRunner().invoke(app, ["audit", "one", "--json"])
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["component"], r["decision"]) for r in rows] == [
        ("egress", "allow"),
        ("gitgate", "held"),
        ("egress", "deny"),
    ]


def test_since_and_all_narrow_and_widen(state: Path) -> None:
    """--since 1h drops the old lines; --all covers every bottle."""
    done = CliRunner().invoke(app, ["audit", "--all", "--since", "1h", "--json"])
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(r["bottle"] for r in rows if r["component"] == "egress") == ["one", "two"]
    assert all(r["host"] != "old.test" for r in rows)


def test_the_table_names_the_reason_and_detectors_never_a_value(state: Path) -> None:
    """A denial shows its reason and the detector; the redacted path stays redacted."""
    done = CliRunner().invoke(app, ["audit", "two"])
    assert "dlp-block; dlp: github-pat" in done.stdout
    assert "POST new.test[redacted]" in done.stdout


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["audit"], 2, "--all"),
        (["audit", "one", "--all"], 2, "not both"),
        (["audit", "one", "--since", "yesterday"], 2, "neither a duration"),
        (["audit", "nope"], 3, "no bottle 'nope'"),
    ],
)
def test_bad_arguments_get_one_clear_error(
    state: Path, args: list[str], code: int, says: str
) -> None:
    """Each mistake exits with its code and says what to do."""
    done = CliRunner().invoke(app, args)
    assert done.exit_code == code
    assert says in done.output


def test_a_malformed_line_is_skipped_with_a_warning(state: Path) -> None:
    """A garbled line never stops the read; it is counted."""
    with egress_audit_file("two").open("a") as handle:
        handle.write("{garbage\n")
    done = CliRunner().invoke(app, ["audit", "two", "--json"])
    assert done.exit_code == 0
    assert len(done.stdout.splitlines()) == 2
    assert "1 malformed audit line(s) skipped" in done.output
