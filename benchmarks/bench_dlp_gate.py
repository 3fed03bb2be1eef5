"""The token-rule gate (`bb_dlp.gate`): what it costs to build and load, how often it opens on
LLM traffic, and the engine's CPU per 20 KB request with it and without it (as the proxy runs:
default detectors, 20 known secrets, Kingfisher loaded up front).

Figures: ``compile_cpu_s`` (building the gate from Kingfisher's patterns, once per image
build), ``load_ms`` (a cached gate, what each process pays), ``opens`` (requests of the
sample the gate opens on), ``ms_per_request`` gated and ungated (CPU, best of ``--rounds``
passes over ``--requests`` generated bodies, default 5 and 50).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bb_dlp import catalogue
from bb_dlp.config import DlpConfig
from bb_dlp.engine import scan_outbound
from bb_dlp.gate import TokenGate
from bb_dlp.testing import llm_request_body, make_request, random_secrets
from benchmarks._common import int_option


def run(args: list[str]) -> dict[str, object]:
    """Build, load, open rate, per-request CPU gated vs ungated."""
    rounds = int_option(args, "rounds", 5)
    count = int_option(args, "requests", 50)
    version = catalogue.kingfisher_version()
    catalogue.load_rules("medium")  # loaded first: the compile below is the gate's alone
    with tempfile.TemporaryDirectory(prefix="bb-bench-gate-") as tmp:
        folder = Path(tmp)
        start = time.process_time()
        built = TokenGate(folder, "medium", version, lambda: catalogue.rule_patterns("medium"))
        compile_s = time.process_time() - start
        start = time.perf_counter()
        loaded = TokenGate(folder, "medium", version, list)
        load_ms = (time.perf_counter() - start) * 1000
        assert loaded.loaded
        assert not built.loaded
        requests = [
            make_request(body=llm_request_body(20_000, seed=f"gate{i}")) for i in range(count)
        ]
        secrets = random_secrets(20)
        original = catalogue.token_gate
        try:
            catalogue.token_gate = lambda _c: loaded  # type: ignore[assignment]
            gated = DlpConfig.from_secrets(secrets)
            catalogue.token_gate = lambda _c: None  # type: ignore[assignment]
            plain = DlpConfig.from_secrets(secrets)
        finally:
            catalogue.token_gate = original
        per: dict[str, float] = {}
        for name, config in (("gated", gated), ("ungated", plain)):
            assert config.matchers.catalogue is not None
            len(config.matchers.catalogue)  # Kingfisher loaded up front, as the proxy does
            scan_outbound(requests[0], config)
            best = float("inf")
            for _ in range(rounds):
                start = time.process_time()
                for request in requests:
                    scan_outbound(request, config)
                best = min(best, time.process_time() - start)
            per[name] = round(best / count * 1000, 3)
        return {
            "rules": len(catalogue.rule_patterns("medium")),
            "compile_cpu_s": round(compile_s, 2),
            "load_ms": round(load_ms, 2),
            "gate_bytes": sum(p.stat().st_size for p in folder.iterdir()),
            "opens": f"{sum(loaded.opens(r.body) for r in requests)}/{count}",
            "ms_per_request": per,
            "request_bytes": len(requests[0].body),
        }
