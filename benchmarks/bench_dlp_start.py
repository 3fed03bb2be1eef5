"""Whole-process ``bb dlp scan`` beside ``gitleaks stdin``: start-up on a tiny input, and 20 MB.

Each command runs as its own process (``--rounds`` times after one warm-up, alternating bb
and gitleaks so a drift of the machine's speed hits both); the figures are the median wall
time and the median CPU time (user + system of the finished child, from ``getrusage``). CPU
is the figure to quote on a loaded machine: wall time there is mostly waiting for a core.

Inputs are generated: HAR files of LLM chat requests (`bb_dlp.testing.llm_request_body`) for
bb, and the same request bodies, newline-joined, on gitleaks' stdin. The scan uses the
user's cache folder as ``bb dlp scan`` does (the warm-up fills it).

Options: ``--rounds=N`` (default 3: gitleaks takes about 10 s of CPU per 20 MB run), ``--mb=N``
size of the large input (default 20).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bb_dlp.testing import llm_request_body
from benchmarks._common import int_option

_TINY = b'{"model": "claude-sonnet-4", "messages": [{"role": "user", "content": "hello"}]}'


def _har(bodies: list[bytes]) -> str:
    entries = [
        {
            "request": {
                "method": "POST",
                "url": "https://api.anthropic.com/v1/messages",
                "headers": [{"name": "Content-Type", "value": "application/json"}],
                "postData": {"mimeType": "application/json", "text": body.decode()},
            }
        }
        for body in bodies
    ]
    return json.dumps({"log": {"version": "1.2", "entries": entries}})


def _once(argv: list[str], stdin: Path | None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv`` (its output thrown away)."""
    before = os.times()
    start = time.perf_counter()
    quiet = subprocess.DEVNULL
    with (stdin or Path(os.devnull)).open("rb") as feed:
        subprocess.run(argv, stdin=feed, stdout=quiet, stderr=quiet, check=False, timeout=600)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def _pair(bb: list[str], gitleaks: list[str] | None, stdin: Path, rounds: int) -> dict[str, object]:
    _once(bb, None)
    if gitleaks:
        _once(gitleaks, stdin)
    samples: dict[str, list[tuple[float, float]]] = {"bb": [], "gitleaks": []}
    for _ in range(rounds):
        samples["bb"].append(_once(bb, None))
        if gitleaks:
            samples["gitleaks"].append(_once(gitleaks, stdin))
    out: dict[str, object] = {}
    for name, runs in samples.items():
        if runs:
            out[name] = {
                "wall_median_s": round(statistics.median(w for w, _ in runs), 3),
                "cpu_median_s": round(statistics.median(c for _, c in runs), 3),
            }
    if samples["gitleaks"]:
        bb_cpu = statistics.median(c for _, c in samples["bb"])
        gl_cpu = statistics.median(c for _, c in samples["gitleaks"])
        out["gitleaks_cpu_over_bb"] = round(gl_cpu / bb_cpu, 2)
    return out


def run(args: list[str]) -> dict[str, object]:
    """Tiny and large inputs, bb and gitleaks alternating."""
    rounds = int_option(args, "rounds", 3)
    mb = int_option(args, "mb", 20)
    bb = shutil.which("bb") or str(Path(sys.executable).with_name("bb"))
    exe = shutil.which("gitleaks")
    gitleaks = [exe, "stdin", "--no-banner", "-l", "error", "--exit-code", "0"] if exe else None
    with tempfile.TemporaryDirectory(prefix="bb-bench-dlp-start-") as tmp:
        root = Path(tmp)
        (root / "tiny.har").write_text(_har([_TINY]))
        (root / "tiny.txt").write_bytes(_TINY)
        count = max(1, mb * 5)  # 200 KB bodies
        bodies = [llm_request_body(200_000, seed=f"start{i}") for i in range(count)]
        (root / "large.har").write_text(_har(bodies))
        (root / "large.txt").write_bytes(b"\n".join(bodies))
        tiny = _pair(
            [bb, "dlp", "scan", str(root / "tiny.har")], gitleaks, root / "tiny.txt", rounds
        )
        large = _pair(
            [bb, "dlp", "scan", str(root / "large.har")], gitleaks, root / "large.txt", rounds
        )
        return {
            "rounds": rounds,
            "command": "bb dlp scan FILE.har  vs  gitleaks stdin < FILE.txt",
            "tiny": tiny,
            f"large_{mb}mb": {"bytes": sum(map(len, bodies)), **large},
        }
