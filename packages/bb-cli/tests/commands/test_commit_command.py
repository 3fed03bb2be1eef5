"""``bb commit``'s command surface: choosing the bottle, errors and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bb_cli.app import app
from bb_cli.state import BottleRecord, save_record


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path))
    return tmp_path


def test_commit_with_no_running_bottle_says_how_to_get_one() -> None:
    """No SLUG and nothing running: exit 3 and the commands that start one."""
    done = CliRunner().invoke(app, ["commit"])
    assert done.exit_code == 3
    assert "no running bottle to commit; start one with `bb start` or `bb resume`" in done.output


def test_commit_of_an_unknown_slug_names_the_known_ones() -> None:
    """A wrong SLUG is exit 3, listing what exists."""
    save_record(
        BottleRecord(
            slug="shell-aaaaaa",
            agent="shell",
            bottle="shell",
            runtime="shell",
            backend="compose",
            project="bb-shell-aaaaaa",
            agent_container="bot-bottle-shell-aaaaaa",
        )
    )
    done = CliRunner().invoke(app, ["commit", "shell-bbbbbb"])
    assert done.exit_code == 3
    assert "known: shell-aaaaaa" in done.output


def test_commit_is_listed_in_help() -> None:
    """`bb --help` names commit."""
    assert "commit" in CliRunner().invoke(app, ["--help"]).output
