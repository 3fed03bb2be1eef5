"""``bb dlp scan`` is dispatched before the command tree is built (issue 14: its whole-process
start-up budget is 0.25 s), with the same flags, output and exit codes as the tree's command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_PROBE = """
import atexit, json, sys
def report():
    heavy = ("typer", "click", "rich", "textual", "docker", "bb_cli.app")
    print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)
atexit.register(report)
sys.argv = ["bb", *sys.argv[1:]]
from bb_cli.__main__ import main
main()
"""


def _bb(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env_cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, **env_cache},
    )


def _har(tmp_path: Path, body: str) -> Path:
    entry = {
        "request": {
            "method": "POST",
            "url": "https://api.example.com/v1/messages",
            "headers": [],
            "postData": {"mimeType": "application/json", "text": body},
        }
    }
    path = tmp_path / "s.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    return path


def test_a_scan_loads_neither_typer_nor_the_command_tree(tmp_path: Path) -> None:
    """The scan runs and exits 0 without importing typer, click, rich, textual or docker."""
    done = _bb(tmp_path, "dlp", "scan", str(_har(tmp_path, '{"a": "hello"}')))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("dlp", "scan", "/nonexistent.har"), 2, "/nonexistent.har"),
        (("dlp", "scan", "--format", "nope", "x.har"), 2, "invalid choice"),
        (("dlp", "scan", "--detectors", "nope", "HAR"), 2, "unknown DLP detector"),
    ],
)
def test_bad_input_is_exit_two_with_a_message(
    tmp_path: Path, args: tuple[str, ...], code: int, says: str
) -> None:
    """Same exit codes as the tree's command: 2 and one message naming the problem."""
    har = str(_har(tmp_path, "x"))
    done = _bb(tmp_path, *(har if a == "HAR" else a for a in args))
    assert done.returncode == code
    assert says in done.stderr


def test_help_still_comes_from_the_command_tree(tmp_path: Path) -> None:
    """``bb dlp scan --help`` is the tree's (typer) help, like every other command's."""
    done = _bb(tmp_path, "dlp", "scan", "--help")
    assert done.returncode == 0
    assert "Scan HAR files for secrets" in done.stdout
    assert "typer" in done.stderr
