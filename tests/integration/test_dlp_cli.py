"""``bb dlp scan`` end to end: the host CLI runs bb-dlp's scanner on generated HAR files."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

SECRET = "Qm7vRt4wYb8nZx9kQ2pLjH3s"
CANARY = "canary-7f3a9c2e1b5d4f6a8e0c"


def _request(url: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None) -> dict:
    entry: dict = {
        "method": "POST" if body else "GET",
        "url": url,
        "headers": [{"name": n, "value": v} for n, v in headers or []],
    }
    if body:
        entry["postData"] = {
            "mimeType": "application/octet-stream",
            "text": base64.b64encode(body).decode(),
            "encoding": "base64",
        }
    return {"request": entry}


def _write(path: Path, entries: list[dict]) -> Path:
    path.write_text(
        json.dumps({"log": {"version": "1.2", "creator": {"name": "test"}, "entries": entries}})
    )
    return path


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "bottle.env"
    path.write_text(f"EGRESS_TOKEN_API={SECRET}\nEGRESS_TOKEN_CANARY={CANARY}\n")
    return path


def _bb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bb_cli", "dlp", "scan", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bb_dlp_scan_reports_each_leaking_entry(tmp_path: Path, env_file: Path) -> None:
    """Encoded, compressed and websocket leaks are reported per entry; the secret never printed."""
    leaky = _write(
        tmp_path / "leaky.har",
        [
            _request("https://api.example.com/v1/ok", b'{"hello": "world"}'),
            _request(
                "https://api.example.com/v1/q?k=" + "".join(f"%{b:02x}" for b in SECRET.encode())
            ),
            _request(
                "https://api.example.com/v1/upload",
                gzip.compress(b"log line " + CANARY.encode()),
                [("Content-Encoding", "gzip")],
            ),
            _request(
                "https://api.example.com/v1/x",
                headers=[("Authorization", "Bearer " + base64.b64encode(SECRET.encode()).decode())],
            ),
        ],
    )
    clean = _write(tmp_path / "clean.har", [_request("https://api.example.com/", b"nothing here")])
    done = _bb("--env-file", str(env_file), str(clean), str(leaky))
    assert done.returncode == 1, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(Path(r["file"]).name, r["entry"], r["detector"], r["surface"]) for r in rows] == [
        ("leaky.har", 1, "known_secrets", "url"),
        ("leaky.har", 2, "canary", "body"),
        ("leaky.har", 3, "known_secrets", "header:authorization"),
    ]
    assert SECRET not in done.stdout + done.stderr
    assert CANARY not in done.stdout + done.stderr


def test_bb_dlp_scan_exits_zero_on_clean_traffic_and_two_on_bad_input(
    tmp_path: Path, env_file: Path
) -> None:
    """Exit codes pass through the host CLI unchanged."""
    clean = _write(tmp_path / "clean.har", [_request("https://api.example.com/", b"fine")])
    assert _bb("--env-file", str(env_file), str(clean)).returncode == 0
    broken = tmp_path / "broken.har"
    broken.write_text('{"log": {"entries": [{"request": {}}]}}')
    bad = _bb("--env-file", str(env_file), str(broken))
    assert bad.returncode == 2
    assert "broken.har" in bad.stderr


def _egress_image() -> str | None:
    listed = subprocess.run(
        [
            "docker",
            "image",
            "ls",
            "--filter",
            "label=org.bot-bottle.component=egress",
            "--filter",
            "dangling=false",
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    refs = listed.stdout.split()
    return refs[0] if listed.returncode == 0 and refs else None


@pytest.mark.docker
def test_the_egress_image_scans_with_the_same_engine(tmp_path: Path, env_file: Path) -> None:
    """``bb-egress dlp scan`` in the egress image (bb-dlp's wheel inside) finds the leak too."""
    image = _egress_image()
    if image is None:
        pytest.skip("no bot-bottle-egress image; run `bb images build egress`")
    leaky = _write(tmp_path / "leaky.har", [_request("https://api.example.com/?k=" + SECRET)])
    done = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            f"{env_file}:/input/bottle.env:ro",
            "-v",
            f"{leaky}:/input/leaky.har:ro",
            image,
            "dlp",
            "scan",
            "--env-file",
            "/input/bottle.env",
            "/input/leaky.har",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert SECRET not in done.stdout + done.stderr
