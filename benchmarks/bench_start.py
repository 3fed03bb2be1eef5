"""Bottle start-up cost: ``bb start`` to agent-ready vs plain ``docker compose up``, same run.

Each round: ``bb start shell --json`` as a user runs it (CLI start-up, manifest loading,
image resolution, state files, egress and supervise up and healthy, network assertion,
agent created, asserted, started and asserted again) until it returns with the agent ready;
then the bottle's containers are removed but its rendered ``compose.yaml`` kept, and a plain
``docker compose up -d --wait`` of that same file (same images, same topology, no
assertions, all services at once) is timed as the anchor; then everything is removed.

Reported: median, min and max seconds for each, and the median overhead. Options:
``--rounds=N`` (default 3). Needs a Docker engine and the images (``bb images build``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import int_option, min_median_max


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])} failed: {done.stderr[-1500:]}")
    return done


def _round(env: dict[str, str], cwd: Path, state: Path) -> tuple[float, float]:
    bb = [sys.executable, "-m", "bb_cli"]
    started = time.perf_counter()
    slug = json.loads(_run([*bb, "start", "shell", "--json"], env, cwd).stdout)["slug"]
    bb_seconds = time.perf_counter() - started
    compose = state / "bottles" / slug / "compose.yaml"
    down = ["down", "--volumes", "--remove-orphans", "--timeout", "5"]
    plain = f"bench-plain-{slug}"
    try:
        _run(["docker", "compose", "-p", f"bb-{slug}", "-f", str(compose), *down], env, cwd)
        started = time.perf_counter()
        _run(
            [
                "docker",
                "compose",
                "-p",
                plain,
                "-f",
                str(compose),
                "up",
                "-d",
                "--wait",
                "--wait-timeout",
                "120",
            ],
            env,
            cwd,
        )
        plain_seconds = time.perf_counter() - started
    finally:
        subprocess.run(
            ["docker", "compose", "-p", plain, "-f", str(compose), *down],
            capture_output=True,
            check=False,
            timeout=300,
        )
        subprocess.run(
            [*bb, "rm", "-f", slug], env=env, cwd=cwd, capture_output=True, check=False, timeout=300
        )
    return bb_seconds, plain_seconds


def run(args: list[str]) -> dict[str, object]:
    rounds = int_option(args, "rounds", 3)
    with tempfile.TemporaryDirectory(prefix="bb-bench-start-") as tmp:
        state, cwd = Path(tmp) / "state", Path(tmp) / "cwd"
        cwd.mkdir()
        env = {
            **os.environ,
            "BOT_BOTTLE_STATE_DIR": str(state),
            "XDG_CONFIG_HOME": str(Path(tmp) / "config"),
        }
        bb_samples: list[float] = []
        plain_samples: list[float] = []
        for _ in range(rounds):
            bb_s, plain_s = _round(env, cwd, state)
            bb_samples.append(bb_s)
            plain_samples.append(plain_s)
    return {
        "rounds": rounds,
        "bb_start_to_agent_ready": min_median_max(bb_samples),
        "plain_compose_up_wait": min_median_max(plain_samples),
        "median_overhead_s": round(
            statistics.median(bb_samples) - statistics.median(plain_samples), 3
        ),
    }
