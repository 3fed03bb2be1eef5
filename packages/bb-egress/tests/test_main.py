"""``bb-egress``'s dispatcher: ``dlp scan`` reaches the DLP engine's scanner (bb-dlp)."""

from __future__ import annotations

import json
from pathlib import Path

from bb_egress.__main__ import main as entry_main

SECRET = "Qm7vRt4wYb8nZx9kQ2pLjH3s"


def _har(path: Path, body: str) -> Path:
    entry = {
        "request": {
            "method": "POST",
            "url": "https://api.example.com/v1/messages",
            "headers": [],
            "postData": {"mimeType": "application/json", "text": body},
        }
    }
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    return path


def test_the_console_entry_point_routes_dlp_scan(tmp_path: Path) -> None:
    """``bb-egress dlp scan ...`` runs bb-dlp's scanner (1 on a leak); unknown commands exit 2."""
    env_file = tmp_path / "bottle.env"
    env_file.write_text(f"EGRESS_TOKEN_API={SECRET}\n")
    clean = _har(tmp_path / "a.har", '{"a": "ok"}')
    leaky = _har(tmp_path / "b.har", f'{{"k": "{SECRET}"}}')
    assert entry_main(["dlp", "scan", "--env-file", str(env_file), str(clean)]) == 0
    assert entry_main(["dlp", "scan", "--env-file", str(env_file), str(leaky)]) == 1
    assert entry_main(["frobnicate"]) == 2
