"""In-proxy DLP cost per request, this tree beside older engines, same run (issue 14).

CPU time (``time.process_time``: the machine is shared) of ``scan_outbound`` on LLM chat
requests, median over ``--rounds`` rounds of 20 requests, for three detector sets: every
default detector and the known-secret detectors alone (known_secrets, canary, crlf,
unicode_evasion), both with 20 known secrets, and the token catalogue alone (no secrets).
Two bodies: ``cut_20kb`` is `bench_dlp`'s typical request (a 39 KB chat body cut to 20 000
bytes, so not valid JSON) and ``json_39kb`` is `bench_dlp_known`'s (the whole body, valid
JSON).

Each engine runs in its own process (``PYTHONPATH`` on a ``git archive`` of its
``packages/bb-dlp`` and ``packages/bb-protocol``), the processes taking turns round after
round so that load on the machine falls on all of them alike. ``BB_DLP_CACHE_DIR`` is the
user's cache folder, as for ``bb dlp scan``, so the token gate (`bb_dlp.gate`) is loaded as
in the proxy, whose image bakes it (``--no-gate``: no cache folder, hence no gate).
``--refs=A,B`` names the older commits (default: 62b813f, the engine before the Kingfisher
catalogue and the evasion views). Run: ``uv run python -m benchmarks dlp_cost --rounds=15``.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from benchmarks._common import int_option

_ROOT = Path(__file__).resolve().parent.parent
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_SETS = {
    "all_default": None,
    "known_secrets_only": ("known_secrets", "canary", "crlf", "unicode_evasion"),
    "token_patterns_only": ("token_patterns",),
}
_BATCH = 20


def _secret(i: int) -> str:
    raw = hashlib.sha256(f"x{i}".encode()).digest() + hashlib.sha256(f"y{i}".encode()).digest()
    return "".join(_ALPHABET[b % 62] for b in raw)[:40]


def _worker(rounds: int) -> None:
    """One engine (whatever ``bb_dlp`` imports): one line of JSON per round, on stdin's cue."""
    from bb_dlp import DlpConfig, scan_outbound
    from bb_dlp.testing import llm_request_body, make_request

    secrets = {f"EGRESS_TOKEN_S{i}": _secret(i) for i in range(20)}
    headers = [("Content-Type", "application/json"), ("User-Agent", "claude-cli/1.0")]
    bodies = {
        "cut_20kb": [llm_request_body(20_000, seed=f"s{i}")[:20_000] for i in range(_BATCH)],
        "json_39kb": [llm_request_body(20_000, seed=f"s{i}") for i in range(_BATCH)],
    }
    requests = {
        name: [make_request("/v1/messages?beta=true", headers, b) for b in batch]
        for name, batch in bodies.items()
    }
    configs = {
        name: DlpConfig.from_environ(
            {} if name == "token_patterns_only" else secrets, *([detectors] if detectors else [])
        )
        for name, detectors in _SETS.items()
    }
    for config in configs.values():  # warm: caches, Kingfisher's load
        for batch in requests.values():
            for request in batch:
                scan_outbound(request, config)
    for _ in range(rounds):
        sys.stdin.readline()
        out: dict[str, float] = {}
        for cname, config in configs.items():
            for bname, batch in requests.items():
                started = time.process_time()
                for request in batch:
                    scan_outbound(request, config)
                out[f"{cname}/{bname}"] = (time.process_time() - started) / len(batch) * 1e3
        print(json.dumps(out), flush=True)


def _tree(ref: str, into: Path) -> Path:
    """``packages/bb-dlp`` and ``packages/bb-protocol`` of ``ref``, unpacked under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(_ROOT), "archive", ref, "packages/bb-dlp", "packages/bb-protocol"],
        check=True,
        capture_output=True,
    ).stdout
    dest = into / ref
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def run(args: list[str]) -> dict[str, object]:
    from bb_dlp.multimatch import user_cache_dir

    rounds = int_option(args, "rounds", 15)
    gate = "--no-gate" not in args
    refs = next((a.split("=", 1)[1] for a in args if a.startswith("--refs=")), "62b813f")
    with tempfile.TemporaryDirectory(prefix="bb-dlp-cost-") as tmp:
        roots = {"this tree": _ROOT}
        for ref in filter(None, refs.split(",")):
            roots[ref] = _tree(ref, Path(tmp))
        workers: dict[str, subprocess.Popen[str]] = {}
        for label, root in roots.items():
            src = [str(root / "packages" / p / "src") for p in ("bb-dlp", "bb-protocol")]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([*src, str(_ROOT)])}
            env.pop("BB_DLP_RULE_CACHE_DIR", None)
            if gate:
                env["BB_DLP_CACHE_DIR"] = str(user_cache_dir())
            else:
                env.pop("BB_DLP_CACHE_DIR", None)
            workers[label] = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.bench_dlp_cost", "--worker", str(rounds)],
                cwd=_ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        samples: dict[str, dict[str, list[float]]] = {label: {} for label in workers}
        for _ in range(rounds):
            for label, proc in workers.items():  # one at a time: never two on the CPU
                assert proc.stdin is not None
                assert proc.stdout is not None
                proc.stdin.write("\n")
                proc.stdin.flush()
                for key, value in json.loads(proc.stdout.readline()).items():
                    samples[label].setdefault(key, []).append(value)
        for proc in workers.values():
            proc.wait(timeout=60)
    return {
        "cpu_ms_per_request_median": {
            label: {key: round(statistics.median(v), 4) for key, v in sorted(per.items())}
            for label, per in samples.items()
        },
        "rounds": rounds,
        "token_gate": gate,
        "requests_per_round": _BATCH,
        "secrets": 20,
    }


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _worker(int(sys.argv[2]))
