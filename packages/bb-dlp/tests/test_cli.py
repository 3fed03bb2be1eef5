"""``bb dlp scan`` (`bb_dlp.cli`): flags, output formats, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bb_dlp.cli import main

SECRET = "Qm7vRt4wYb8nZx9kQ2pLjH3s"


def _write_har(path: Path, bodies: list[str], ws: list[str] | None = None) -> Path:
    entries: list[dict[str, object]] = [
        {
            "request": {
                "method": "POST",
                "url": "https://api.example.com/v1/messages",
                "headers": [{"name": "Content-Type", "value": "application/json"}],
                "postData": {"mimeType": "application/json", "text": body},
            }
        }
        for body in bodies
    ]
    if ws is not None:
        entries.append(
            {
                "request": {"method": "GET", "url": "wss://ws.example.com/s", "headers": []},
                "_webSocketMessages": [{"type": "send", "opcode": 1, "data": d} for d in ws],
            }
        )
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    return path


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan caches compiled databases in the user's cache folder: keep it in tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("BB_DLP_CACHE_DIR", raising=False)


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "bottle.env"
    path.write_text(f"# the bottle's secrets\nEGRESS_TOKEN_API={SECRET}\n\nOTHER=x=y\n")
    return path


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, stdout=out), out.getvalue()


def test_findings_are_jsonl_rows_without_the_secret(tmp_path: Path, env_file: Path) -> None:
    """Exit 1; one JSON object per finding with entry, detector, surface, severity, preview."""
    har = _write_har(tmp_path / "a.har", ['{"a": "ok"}', f'{{"k": "{SECRET}"}}'], ws=[SECRET])
    code, out = _run(["--env-file", str(env_file), str(har)])
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [(r["entry"], r["detector"], r["surface"]) for r in rows] == [
        (1, "known_secrets", "body"),
        (2, "known_secrets", "websocket"),
    ]
    assert all({"entry", "detector", "surface", "severity", "preview"} <= r.keys() for r in rows)
    assert SECRET not in out


def test_clean_traffic_exits_zero(tmp_path: Path, env_file: Path) -> None:
    """No findings: exit 0 and no output in jsonl."""
    har = _write_har(tmp_path / "a.har", ['{"a": "ok"}'])
    assert _run(["--env-file", str(env_file), str(har)]) == (0, "")


def test_the_table_format_lists_findings(tmp_path: Path, env_file: Path) -> None:
    """``--format table`` prints a header and one line per finding."""
    har = _write_har(tmp_path / "a.har", [f"{SECRET}"])
    code, out = _run(["--env-file", str(env_file), "--format", "table", str(har)])
    assert code == 1
    assert out.splitlines()[0].split() == [
        "FILE",
        "ENTRY",
        "DETECTOR",
        "SEVERITY",
        "SURFACE",
        "PREVIEW",
    ]
    assert "EGRESS_TOKEN_API" in out
    assert SECRET not in out


def test_detectors_can_be_chosen(tmp_path: Path, env_file: Path) -> None:
    """``--detectors token_patterns`` ignores known secrets."""
    har = _write_har(tmp_path / "a.har", [SECRET])
    assert _run(["--env-file", str(env_file), "--detectors", "token_patterns", str(har)])[0] == 0


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing-har", "cannot read"),
        ("invalid-har", "not JSON"),
        ("bad-env", "expected NAME=value"),
        ("bad-detector", "unknown DLP detector"),
    ],
)
def test_bad_input_exits_two_naming_the_file_and_problem(
    tmp_path: Path, env_file: Path, setup: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unreadable or invalid HAR, bad env file, unknown detector: exit 2 with a message."""
    har = _write_har(tmp_path / "ok.har", ["x"])
    argv = ["--env-file", str(env_file), str(har)]
    if setup == "missing-har":
        argv[-1] = str(tmp_path / "nope.har")
    elif setup == "invalid-har":
        (tmp_path / "bad.har").write_text("{{{")
        argv[-1] = str(tmp_path / "bad.har")
    elif setup == "bad-env":
        (tmp_path / "bad.env").write_text("export X=1\n")
        argv[1] = str(tmp_path / "bad.env")
    else:
        argv = ["--detectors", "nope", str(har)]
    assert _run(argv)[0] == 2
    err = capsys.readouterr().err
    assert message in err
    if setup != "bad-detector":
        assert Path(argv[-1] if "har" in setup else argv[1]).name in err


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_large_files_get_a_progress_bar_on_a_terminal_stderr(
    tmp_path: Path, env_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files over a megabyte show progress on stderr when it is a terminal; stdout stays
    machine-readable."""
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    har = _write_har(tmp_path / "big.har", ["x" * 300_000] * 4)
    assert _run(["--env-file", str(env_file), str(har)]) == (0, "")
    assert "scanning big.har [" in terminal.getvalue()


def test_no_progress_bar_when_stderr_is_a_file_or_pipe(
    tmp_path: Path, env_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redirected stderr (a log file, a pipe) gets no bar: its carriage-return redraws would
    fill the log; warnings and errors still go there."""
    redirected = io.StringIO()
    monkeypatch.setattr("sys.stderr", redirected)
    har = _write_har(tmp_path / "big.har", ["x" * 300_000] * 4)
    assert _run(["--env-file", str(env_file), str(har)]) == (0, "")
    assert redirected.getvalue() == ""


def test_a_real_process_writing_stderr_to_a_log_file_leaves_no_progress_bar(
    tmp_path: Path, env_file: Path
) -> None:
    """The whole command, stderr redirected to a file as a service manager or CI would."""
    har = _write_har(tmp_path / "big.har", ["x" * 300_000] * 4)
    log = tmp_path / "scan.log"
    with log.open("w") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "bb_dlp.cli", "--env-file", str(env_file), str(har)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            check=False,
            timeout=120,
        )
    assert done.returncode == 0
    assert log.read_text() == ""
