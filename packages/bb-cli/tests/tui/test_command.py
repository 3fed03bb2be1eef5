"""``bb supervise`` refuses clearly before starting the TUI when there is nothing to watch."""

from __future__ import annotations

from typer.testing import CliRunner

from bb_cli.app import app


def test_an_unknown_bottle_exits_3_with_the_reason(tmp_path):
    """No queue for that slug: say so (exit 3, not found, as every command), no empty TUI."""
    result = CliRunner().invoke(
        app, ["supervise", "--bottle", "nope"], env={"BOT_BOTTLE_STATE_DIR": str(tmp_path)}
    )
    assert result.exit_code == 3
    assert "bottle nope has no queue" in result.output


def test_an_invalid_slug_exits_2(tmp_path):
    """A slug that could escape the state dir is refused."""
    result = CliRunner().invoke(
        app, ["supervise", "--bottle", "../x"], env={"BOT_BOTTLE_STATE_DIR": str(tmp_path)}
    )
    assert result.exit_code == 2
    assert "invalid bottle slug" in result.output
