"""Reading gitleaks reports and building its command line (the real run is integration)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bb_gitgate.errors import ScanError
from bb_gitgate.scan import gitleaks_command, parse_report

FINDING = {
    "RuleID": "aws-access-token",
    "StartLine": 3,
    "Match": "REDACTED",
    "Secret": "REDACTED",
    "File": "src/config.py",
    "Commit": "c" * 40,
    "Fingerprint": "c" * 40 + ":src/config.py:aws-access-token:3",
}


def test_a_report_becomes_findings():
    """Rule, commit, file:line and the redacted match are kept."""
    [finding] = parse_report(json.dumps([FINDING]))
    assert finding.rule_id == "aws-access-token"
    assert finding.location == "src/config.py:3"
    assert finding.match == "REDACTED"


def test_an_empty_report_is_no_findings():
    """gitleaks writes [] (or nothing) when clean."""
    assert parse_report("[]") == []
    assert parse_report("") == []


def test_terminal_control_characters_are_neutralised():
    """File names reach the operator's terminal, so escapes are replaced."""
    [finding] = parse_report(json.dumps([{**FINDING, "File": "a\x1b[2Jb.py"}]))
    assert "\x1b" not in finding.file


@pytest.mark.parametrize(
    "text", ["{", "{}", "[1]", json.dumps([{"RuleID": "x"}])], ids=["bad", "obj", "int", "partial"]
)
def test_an_unreadable_report_is_a_scan_error(text):
    """Anything but a list of complete findings fails closed."""
    with pytest.raises(ScanError):
        parse_report(text)


@pytest.mark.parametrize("flavour", ["git", "detect"])
def test_the_command_scans_only_the_new_commits_without_drivers(flavour):
    """log-opts limit to the pushed tips minus existing refs, with no ext diff or textconv."""
    argv = gitleaks_command(
        "gitleaks",
        Path("/m.git"),
        ["a" * 40],
        flavour=flavour,
        report=Path("/r"),
        ignore_dir=Path("/i"),
        config=None,
    )
    assert argv[1] == flavour
    assert argv[argv.index("--log-opts") + 1] == (
        f"-m --no-ext-diff --no-textconv {'a' * 40} --not --all"
    )
    assert "--redact" in argv
    assert "--config" not in argv
    assert "/m.git" in argv


def test_a_modern_gitleaks_ignores_allow_comments_and_ignore_files():
    """gitleaks >= 8.19 gets --ignore-gitleaks-allow and an empty ignore path."""
    argv = gitleaks_command(
        "gitleaks",
        Path("/m.git"),
        ["a" * 40],
        flavour="git",
        report=Path("/r"),
        ignore_dir=Path("/i"),
        config=Path("/gate/gitleaks.toml"),
    )
    assert "--ignore-gitleaks-allow" in argv
    assert argv[argv.index("--gitleaks-ignore-path") + 1] == "/i"
    assert argv[argv.index("--config") + 1] == "/gate/gitleaks.toml"
    assert argv[-1] == "/m.git"


def test_an_older_gitleaks_gets_only_flags_it_knows():
    """gitleaks detect (Debian's 8.x) gets --source and no newer flags."""
    argv = gitleaks_command(
        "gitleaks",
        Path("/m.git"),
        ["a" * 40],
        flavour="detect",
        report=Path("/r"),
        ignore_dir=Path("/i"),
        config=None,
    )
    assert argv[argv.index("--source") + 1] == "/m.git"
    assert "--ignore-gitleaks-allow" not in argv
    assert "--gitleaks-ignore-path" not in argv
