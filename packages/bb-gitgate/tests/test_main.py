"""The bb-gitgate command line."""

from __future__ import annotations

import json

from bb_gitgate.__main__ import main


def test_check_accepts_a_valid_config(tmp_path, capsys):
    """`check` exits 0 and says how many repos."""
    path = tmp_path / "gate.json"
    path.write_text(
        json.dumps(
            {
                "bottle": "b1",
                "state_dir": str(tmp_path),
                "repos": [
                    {
                        "name": "app",
                        "upstream": "https://f.test/o/app.git",
                        "push_refs": ["refs/heads/bb/*"],
                    }
                ],
            }
        )
    )
    assert main(["check", "--config", str(path)]) == 0
    assert "ok: 1 repo(s)" in capsys.readouterr().out


def test_check_refuses_an_invalid_config_with_exit_2(tmp_path, capsys):
    """An invalid config exits 2 naming the field."""
    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"bottle": "b1", "state_dir": "/x", "repos": []}))
    assert main(["check", "--config", str(path)]) == 2
    assert "repos" in capsys.readouterr().err


def test_without_a_config_it_exits_2(monkeypatch, capsys):
    """No --config and no BB_GITGATE_CONFIG is a usage error."""
    monkeypatch.delenv("BB_GITGATE_CONFIG", raising=False)
    assert main(["check"]) == 2
    assert "no config" in capsys.readouterr().err


def test_health_fails_when_nothing_listens():
    """health exits 1 when no gate answers on the port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["health", "--port", str(port)]) == 1
