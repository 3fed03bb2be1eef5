"""Conveniences without an engine: one progress line per step, the picker, info as YAML."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from bb_cli.app import app
from bb_cli.commands import bottles
from bb_cli.images.console import RichReporter


def plain(text: str) -> str:
    """``text`` without terminal escape sequences."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def steps_on(console: Console) -> None:
    printer = bottles.StepPrinter(console)
    for step in ("check engine", "create bottle", "start agent"):
        printer(step, "start")
        printer(step, "done")
    printer.stop()


def test_a_terminal_gets_one_result_line_per_step() -> None:
    """On a terminal the running step is a live status; only `✓ step (Ns)` stays, once."""
    out = io.StringIO()
    steps_on(Console(file=out, force_terminal=True, width=100))
    text = plain(out.getvalue())
    for step in ("check engine", "create bottle", "start agent"):
        assert text.count(f"✓ {step} (") == 1


def test_a_pipe_gets_one_plain_line_per_step() -> None:
    """Not a terminal: `ok step (Ns)`, one line each, no escape codes."""
    out = io.StringIO()
    steps_on(Console(file=out, force_terminal=False, width=100))
    lines = out.getvalue().splitlines()
    assert [line.rsplit(" (", 1)[0] for line in lines] == [
        "ok check engine",
        "ok create bottle",
        "ok start agent",
    ]
    assert "\x1b" not in out.getvalue()


def test_the_image_reporter_prints_a_step_once_on_a_terminal() -> None:
    """The step is the live status, its result the one line (was: both printed)."""
    out = io.StringIO()
    with RichReporter(Console(file=out, force_terminal=True, width=100)) as reporter:
        reporter.step("building egress")
        reporter.done("egress built")
    text = plain(out.getvalue())
    assert "→ building egress" not in text
    assert text.count("✓ egress built") == 1


def test_the_picker_shows_descriptions_and_defaults_to_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each agent with its description; the default is the key-less shell agent."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: dict[str, object] = {}

    def ask(prompt: str, **kwargs: object) -> str:
        asked.update(kwargs)
        console = kwargs["console"]
        assert isinstance(console, Console)
        return str(kwargs["default"])

    monkeypatch.setattr("rich.prompt.Prompt.ask", ask)
    out = io.StringIO()
    monkeypatch.setattr("rich.console.Console", lambda **_: Console(file=out, width=200))
    assert bottles._pick_agent() == "shell"
    assert asked["default"] == "shell"
    listing = out.getvalue()
    assert "claude" in listing
    assert "shell" in listing
    assert len([line for line in listing.splitlines() if line.strip()]) >= 3


def test_info_of_an_agent_is_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`bb info shell` is YAML a person reads (and a program parses), not a Python repr."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["info", "shell"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.stdout)
    assert data["agent"]["runtime"] == "shell"
    assert "{'" not in result.stdout
