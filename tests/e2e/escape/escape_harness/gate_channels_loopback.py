"""Run the DLP channel scripts (F70-F82, F85) against a loopback gate: did each reach upstream?

No Docker: ``bb_testkit.gitgate`` starts a ``git daemon`` upstream and a gate process of
whatever bb_gitgate the running Python imports, with a bottle secret and canary in its
environment (as ``bb start`` gives them), and each channel's agent script runs with plain
git. Meant to show a gate's behaviour before and after a change, e.g. the gate before the
DLP pass, from a checkout of an older commit with its own environment::

    git archive <commit> | tar -x -C /tmp/old && (cd /tmp/old && uv sync --all-packages)
    /tmp/old/.venv/bin/python tests/e2e/escape/escape_harness/gate_channels_loopback.py
    uv run python tests/e2e/escape/escape_harness/gate_channels_loopback.py

Prints JSON: per case ``reached upstream`` or ``held or refused``. A held push is left to
time out (the script's push gives up after 20 s; the gate refuses after its hold timeout).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bb_testkit.gitgate import clean_git_env, serve_upstream, start_gate, stop_gate
from escape_harness.gitgate_dlp_attacks import CHANNELS, GATE, channel_script


def main() -> int:
    secret, canary = "Gq" + secrets.token_urlsafe(24), secrets.token_urlsafe(32)
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bb-gate-channels-") as scratch:
        tmp = Path(scratch)
        with serve_upstream(tmp) as upstream:
            env = {**os.environ, "EGRESS_TOKEN_GATE": secret, "EGRESS_TOKEN_CANARY": canary}
            gate = start_gate(tmp, upstream.url, env=env)
            try:
                agent_env = {**clean_git_env(tmp / "home"), "BOT_BOTTLE_CANARY": canary}
                for channel in CHANNELS:
                    script = (
                        channel_script(channel, secret)
                        .replace(GATE, gate.url())
                        .replace("timeout 300", "timeout 20")
                        .replace(f"/tmp/{channel.case.lower()}", str(tmp / channel.case))
                    )
                    done = subprocess.run(
                        ["sh", "-c", script],
                        env=agent_env,
                        capture_output=True,
                        text=True,
                        timeout=180,
                        check=False,
                    )
                    sha = next(
                        (x[4:] for x in done.stdout.splitlines() if x.startswith("sha=")), ""
                    )
                    if not sha:
                        out[channel.case] = f"not run: {done.stdout[-200:]}"
                        continue
                    has = subprocess.run(
                        ["git", "--git-dir", str(upstream.path), "cat-file", "-e", sha],
                        env=upstream.env,
                        check=False,
                    )
                    out[channel.case] = (
                        "reached upstream" if has.returncode == 0 else ("held or refused")
                    )
            finally:
                stop_gate(gate)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
