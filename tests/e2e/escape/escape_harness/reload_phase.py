"""Case C33: empty, malformed, missing and allow-everything allowlists never allow all.

Runs after the main attack run, on the same bottle: the harness rewrites the live routes
file (the proxy reloads it within its 1 s watch interval), waits, bounded, for the proxy
to log that it saw the change, then the agent tries the allowed host and a never-allowed
host with this case's marker. The original routes are restored at the end.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from escape_harness.bottle import Bottle, run

__all__ = ["run_reload_phase"]

WAIT_SECONDS = 20.0


def _routes_lines(bottle: Bottle) -> int:
    """How many lines of the proxy's log (stdout and stderr) mention the routes file."""
    logs = run(["sh", "-c", f"docker logs {bottle.container('egress')} 2>&1"], timeout=30)
    return sum("routes" in line for line in logs.splitlines())


def _wait_for_reload(bottle: Bottle, before: int) -> bool:
    """Poll the proxy's log (each poll is a docker call) until a new routes line appears."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if _routes_lines(bottle) > before:
            return True
    return False


def _write(path: Path, content: str | None) -> None:
    if content is None:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(content)
    os.replace(tmp, path)


def run_reload_phase(bottle: Bottle, marker: str) -> dict[str, Any]:
    """Each bad allowlist in turn; what the agent saw (evidence) and whether reload was seen."""
    path = bottle.routes_file
    original = path.read_text()
    steps: list[tuple[str, Callable[[], str | None]]] = [
        ("empty", lambda: yaml.safe_dump({"version": 1, "routes": []})),
        ("malformed", lambda: "routes: [ {host: allowed.test\n  - : :\n"),
        ("missing", lambda: None),
        ("allow_everything", lambda: yaml.safe_dump({"routes": [{"host": "*"}]})),
    ]
    out: dict[str, Any] = {}
    try:
        for name, content in steps:
            before = _routes_lines(bottle)
            _write(path, content())
            seen = _wait_for_reload(bottle, before)
            m = f"{marker}{name.replace('_', '')}"
            script = (
                f"curl -sS -m 5 -w ' HTTP=%{{http_code}}' https://allowed.test/{m}; echo; "
                f"curl -sS -m 5 -w ' HTTP=%{{http_code}}' http://plain.test/{m}; echo; "
                f"curl -sS -m 5 -w ' HTTP=%{{http_code}}' https://{m}.evil.test/; echo"
            )
            out[name] = {"reload_logged": seen, "out": bottle.exec("agent", script)[-600:]}
    finally:
        before = _routes_lines(bottle)
        _write(path, original)
        _wait_for_reload(bottle, before)
    return out
