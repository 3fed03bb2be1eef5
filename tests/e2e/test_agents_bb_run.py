"""End to end: the ``bb run`` command itself, with the real CLIs, against the mock provider.

``bb run claude -- "say hi"`` is invoked through the CLI's own command (Typer app). Its plan
is the one ``bb run`` resolves, with the agent test harness's overlay added by replacing
the command's plan step in-process (the overlay is never a command-line option). The
runtime's output is the command's stdout (file descriptor 1: ``docker exec`` writes it).
A second test runs ``bb run --rm`` as a subprocess with the shell runtime.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent / "agents"))

from harness import AgentBottle, build_observer_image
from mock_provider import ANSWER

from bb_cli import lifecycle
from bb_cli.app import app

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]


@pytest.mark.parametrize("runtime", ["claude", "codex"])
def test_bb_run_prints_the_mocks_answer_and_leaves_the_bottle(
    runtime: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """`bb run AGENT -- PROMPT`: the answer on stdout, exit 0, the bottle kept for inspection."""
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path / "state"))
    build_observer_image()
    bottle = AgentBottle(runtime, tmp_path)
    plan = bottle.make_plan()
    monkeypatch.setattr(lifecycle, "resolve_plan", lambda *args, **kwargs: plan)
    try:
        result = CliRunner().invoke(app, ["run", runtime, "--", "say hi", "bbscenario=answer"])
        out = capfd.readouterr().out
        assert result.exit_code == 0, result.output
        assert ANSWER in out
        listing = json.loads(bottle.bb("list", "--json").stdout)
        assert [b["state"] for b in listing if b["slug"] == plan.slug] == ["running"]
    finally:
        bottle.stop()


def test_bb_run_rm_exits_with_the_runtimes_code_and_removes_the_bottle(tmp_path: Path) -> None:
    """The runtime's exit code is bb run's; --rm removes the bottle, keeping its audit trail."""
    env = {**os.environ, "BOT_BOTTLE_STATE_DIR": str(tmp_path / "state")}
    script = "echo ran-in-bottle; exit 7"
    done = subprocess.run(
        [sys.executable, "-m", "bb_cli", "run", "shell", "--rm", "--", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 7, done.stderr[-2000:]
    assert "ran-in-bottle" in done.stdout
    listing = subprocess.run(
        [sys.executable, "-m", "bb_cli", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(listing.stdout) == []
    assert list((tmp_path / "state" / "removed").iterdir())
