"""In-proxy cost of the known-secret detectors per 20 KB LLM request (issue 14).

``scan_outbound`` on 20 realistic 20 KB chat bodies with 20 known secrets, CPU time
(``time.process_time``: the machine is shared, wall time is noisy), best of ``--rounds``.
Two configurations: the known-secret detectors alone (known_secrets, canary, crlf,
unicode_evasion: what issue 14's split/encoding classes add to) and every default detector
(with the token catalogue). Also the findings on the benign corpus with those secrets
(must be 0). Run: ``uv run python -m benchmarks dlp_known``.
"""

from __future__ import annotations

import hashlib
import time
import timeit

from bb_dlp import DlpConfig, scan_outbound
from bb_dlp.testing import llm_request_body, make_request, negative_corpus
from benchmarks._common import int_option

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_KNOWN_ONLY = ("known_secrets", "canary", "crlf", "unicode_evasion")


def _secret(i: int) -> str:
    raw = hashlib.sha256(f"x{i}".encode()).digest() + hashlib.sha256(f"y{i}".encode()).digest()
    return "".join(_ALPHABET[b % 62] for b in raw)[:40]


def _per_request_ms(config: DlpConfig, rounds: int) -> float:
    requests = [
        make_request(
            "/v1/messages?beta=true",
            [("Content-Type", "application/json"), ("User-Agent", "claude-cli/1.0")],
            llm_request_body(20_000, seed=f"s{i}"),
        )
        for i in range(20)
    ]

    def once() -> None:
        for request in requests:
            scan_outbound(request, config)

    best = min(timeit.Timer(once, timer=time.process_time).repeat(number=5, repeat=rounds))
    return round(best / (5 * len(requests)) * 1e3, 4)


def run(args: list[str]) -> dict[str, object]:
    rounds = int_option(args, "rounds", 15)
    secrets = {f"EGRESS_TOKEN_S{i}": _secret(i) for i in range(20)}
    known = DlpConfig.from_environ(secrets, _KNOWN_ONLY)
    full = DlpConfig.from_environ(secrets)
    corpus = negative_corpus()
    return {
        "known_secret_detectors_ms_per_20kb_request": _per_request_ms(known, rounds),
        "all_default_detectors_ms_per_20kb_request": _per_request_ms(full, rounds),
        "benign_corpus_findings": sum(len(scan_outbound(r, full).findings) for r in corpus),
        "benign_requests": len(corpus),
        "secrets": len(secrets),
    }
