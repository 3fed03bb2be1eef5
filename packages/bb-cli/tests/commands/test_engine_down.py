"""With the engine unreachable, every command ends in one line, `bb doctor`'s advice and a
documented exit code: never a traceback, never a build or a bottle started (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from bb_cli.app import app
from bb_cli.state import BottleRecord, save_record

DOWN = ("unix:///nonexistent.sock", "tcp://127.0.0.1:1")
"""Two ways an engine is unreachable: no socket, and a refused TCP port on loopback."""

ENGINE = 4
"""The documented exit code of `EngineError` (docs/cli.md)."""

NEEDS_ENGINE: dict[str, tuple[str, ...]] = {
    "start": ("start", "shell"),
    "resume": ("resume", "demo-x"),
    "list": ("list",),
    "ls": ("ls",),
    "ps": ("ps",),
    "info": ("info", "demo-x"),
    "exec": ("exec", "demo-x", "--", "true"),
    "attach": ("attach", "demo-x"),
    "logs": ("logs", "demo-x"),
    "stop": ("stop", "demo-x"),
    "rm": ("rm", "-f", "demo-x"),
    "run": ("run", "shell", "--", "hello"),
    "commit": ("commit", "demo-x"),
    "cp": ("cp", "demo-x:out.txt", "out.txt"),
    "snapshots ls": ("snapshots", "ls"),
    "snapshots rm": ("snapshots", "rm", "bot-bottle-snapshot/demo-x:1"),
    "images build": ("images", "build"),
    "images list": ("images", "list"),
    "images publish": ("images", "publish", "--registry", "127.0.0.1:9"),
    "doctor": ("doctor",),
}
"""Commands that need the engine, with arguments naming an existing bottle: exit 4."""

NO_ENGINE: dict[str, tuple[str, ...]] = {
    "supervise": ("supervise", "--bottle", "nope"),
    "audit": ("audit", "demo-x"),
    "images bump-clis": ("images", "bump-clis", "--help"),  # asks npm: not run here
    "images fetch-clis": ("images", "fetch-clis", "--help"),  # asks npm: not run here
    "images index": ("images", "index", "--registry", "127.0.0.1:9"),  # a closed port: exit 7
    "queue list": ("queue", "list"),
    "queue show": ("queue", "show", "nope"),
    "queue approve": ("queue", "approve", "nope"),
    "queue reject": ("queue", "reject", "nope"),
    "queue modify": ("queue", "modify", "nope", "/nonexistent.yaml"),
    "queue history": ("queue", "history", "demo-x"),
    "dlp scan": ("dlp", "scan", "/nonexistent.har"),
    "routes show": ("routes", "show", "demo-x"),
    "routes add": ("routes", "add", "demo-x", "example.com"),
    "routes rm": ("routes", "rm", "demo-x", "example.com"),
    "routes suggest": ("routes", "suggest", "demo-x"),
}
"""Commands that may run without the engine: whatever they say, one line, no traceback."""

DOCUMENTED_CODES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}


def command_paths() -> set[str]:
    """Every leaf command of the tree, hidden aliases included, as ``group sub``."""
    out: set[str] = set()

    def walk(command: object, path: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            out.add(" ".join(path))

    walk(typer.main.get_command(app), [])
    return out


@pytest.fixture
def bottle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state dir holding one (compose) bottle record, demo-x; config dir empty."""
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    save_record(
        BottleRecord(
            slug="demo-x",
            agent="shell",
            bottle="shell",
            runtime="shell",
            backend="compose",
            project="bb-demo-x",
            agent_container="bot-bottle-demo-x",
            supervised=True,
        )
    )
    return tmp_path


def test_every_command_of_the_tree_is_in_the_engine_down_table() -> None:
    """A new command must say whether it needs the engine (and be run below)."""
    assert command_paths() == set(NEEDS_ENGINE) | set(NO_ENGINE)


@pytest.mark.parametrize("docker_host", DOWN)
@pytest.mark.parametrize("name", sorted(NEEDS_ENGINE))
def test_a_command_that_needs_the_engine_says_so_in_one_line_and_exits_4(
    bottle: Path, monkeypatch: pytest.MonkeyPatch, name: str, docker_host: str
) -> None:
    """Engine down: exit 4, `error:` with the reason, the fix naming `bb doctor`, nothing else."""
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    result = CliRunner().invoke(app, list(NEEDS_ENGINE[name]))
    assert result.exit_code == ENGINE, result.output
    assert isinstance(result.exception, SystemExit)
    if name == "doctor":  # doctor's job is the report; it fails the engine check
        assert "docker engine" in result.stdout
        return
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: cannot reach the Docker engine"), result.stderr
    assert "bb doctor" in lines[-1]
    assert len(lines) == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", sorted(NO_ENGINE))
def test_a_command_without_the_engine_never_ends_in_a_traceback(
    bottle: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Engine down: any outcome, but a documented exit code and no traceback."""
    monkeypatch.setenv("DOCKER_HOST", DOWN[1])
    result = CliRunner().invoke(app, list(NO_ENGINE[name]))
    assert result.exit_code in DOCUMENTED_CODES, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


def test_bb_start_builds_nothing_and_writes_no_state_without_an_engine(bottle: Path) -> None:
    """The real process: exit 4 before the picker, image builds or a bottle record."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DOCKER_HOST": DOWN[0],
        "HOME": str(bottle),
        "BOT_BOTTLE_STATE_DIR": str(bottle / "state2"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bb_cli", "start", "shell"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == ENGINE, done.stderr
    assert "Traceback" not in done.stderr
    assert "bb doctor" in done.stderr
    assert not (bottle / "state2").exists()
