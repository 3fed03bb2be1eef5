"""Git gate overhead: a push and a clone through the gate vs straight to upstream, same run.

Upstream is a bare repo served by ``git daemon`` on loopback; the gate is ``bb-gitgate
serve`` in its own process forwarding to it (``bb_testkit.gitgate`` starts both). Each round
makes one small clean commit in two working copies and pushes one straight to upstream
(the anchor) and one through the gate (refs check, quarantine, ``git rev-list``, a real
gitleaks scan of the new commit, a ``gitleaks:allow`` check, the DLP engine's pass over every
new object with a bottle secret and a canary in the gate's environment, as ``bb start``
gives them, and the leased forward).
Rounds alternate so both share the machine's noise. Clones are measured the same way
(the gate fetches upstream into its mirror before advertising refs).

Reported: median and p90 seconds per operation for each path, the median added by the
gate, and the gate's own timings from its log (gitleaks and DLP pass per push, ms; absent
with a gate that predates them). Options: ``--rounds=N`` (default 10).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bb_testkit.gitgate import (
    Agent,
    clean_git_env,
    run_git,
    serve_upstream,
    start_gate,
    stop_gate,
)
from benchmarks._common import int_option


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_s": round(statistics.median(ordered), 4),
        "p90_s": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 4),
        "n": len(ordered),
    }


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(args: list[str]) -> dict[str, object]:
    rounds = int_option(args, "rounds", 10)
    if shutil.which("gitleaks") is None:
        return {"skipped": "gitleaks is not installed"}
    with tempfile.TemporaryDirectory(prefix="bench-gitgate-") as scratch:
        tmp = Path(scratch)
        with serve_upstream(tmp) as upstream:
            secrets = {
                "EGRESS_TOKEN_BENCH": "bench-Zq81mWv3Ty7Rk2Hs5Jd9Nb6",
                "EGRESS_TOKEN_CANARY": "cAn4ry-Zx81_Pq0LmW3vT7yRk2Hs5Jd9Nb6Qe",
            }
            gate = start_gate(tmp, upstream.url, env={**os.environ, **secrets})
            try:
                env = clean_git_env(tmp / "home")
                run_git("clone", "-q", upstream.url, str(tmp / "direct"), env=env)
                run_git("clone", "-q", gate.url(), str(tmp / "gated"), env=env)
                direct, gated = Agent(tmp / "direct", env), Agent(tmp / "gated", env)
                push = {"direct": [], "gate": []}
                clone = {"direct": [], "gate": []}
                for i in range(rounds):
                    for name, agent, ref in (
                        ("direct", direct, "refs/heads/direct"),
                        ("gate", gated, "refs/heads/bb/gate"),
                    ):
                        agent.commit_file(f"f{i}.txt", f"round {i}\n", f"round {i}")
                        push[name].append(
                            _timed(
                                lambda a=agent, r=ref: a.git("push", "-q", "origin", f"HEAD:{r}")
                            )
                        )
                    for name, url in (("direct", upstream.url), ("gate", gate.url())):
                        target = tmp / f"clone-{name}-{i}"
                        clone[name].append(
                            _timed(
                                lambda u=url, t=target: run_git("clone", "-q", u, str(t), env=env)
                            )
                        )
                        shutil.rmtree(target)
            finally:
                stop_gate(gate)
                log = gate.log_text()
    result: dict[str, object] = {
        "push": {name: _stats(samples) for name, samples in push.items()},
        "clone": {name: _stats(samples) for name, samples in clone.items()},
    }
    result["push_added_median_s"] = round(
        statistics.median(push["gate"]) - statistics.median(push["direct"]), 4
    )
    result["clone_added_median_s"] = round(
        statistics.median(clone["gate"]) - statistics.median(clone["direct"]), 4
    )
    for key in ("scan_ms", "gitleaks_ms", "dlp_ms"):
        values = [int(v) for v in re.findall(rf'"?{key}"?[=:] ?(\d+)', log)]
        if values:
            result[f"gate_{key}_median"] = statistics.median(values)
    return result
