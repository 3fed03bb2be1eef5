"""Approval-queue cost: one full proposal lifecycle vs a bare durable file write, same run.

Each round, in a fresh temp dir on the same filesystem: the anchor writes one small file
durably (tmp, fsync, rename, fsync dir); the measured path runs one proposal through the
whole protocol (submit, host decide with HMAC, owner claim with verification, archive:
four durable writes and the checks). Rounds alternate so both share the machine's noise.
Also measured: ``pending()`` over a queue of ``--backlog`` proposals (what the TUI polls).

Reported: median and p90 seconds for each. Options: ``--rounds=N`` (default 50),
``--backlog=N`` (default 200).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bb_protocol.queue import ApprovalKey, Approve, QueueStore
from bb_protocol.queue.atomic import publish_replace
from bb_protocol.testing import sample_request
from benchmarks._common import int_option


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_s": round(statistics.median(ordered), 6),
        "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 6),
    }


def run(args: list[str]) -> dict[str, object]:
    rounds = int_option(args, "rounds", 50)
    backlog = int_option(args, "backlog", 200)
    anchor: list[float] = []
    lifecycle: list[float] = []
    listing: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        key = ApprovalKey.generate()
        request = sample_request("egress-allow")
        payload = request.model_dump_json().encode()
        for i in range(rounds):
            plain = root / f"plain{i}"
            plain.mkdir()
            started = time.perf_counter()
            publish_replace(plain, plain / "x.json", payload)
            anchor.append(time.perf_counter() - started)

            store = QueueStore(root / f"q{i}").ensure()
            started = time.perf_counter()
            proposal = store.submit("bench", request)
            store.decide(proposal.id, Approve(), key, decided_by="bench")
            response = store.claim(proposal, key)
            store.archive(proposal, "approved", by="supervise", response=response)
            lifecycle.append(time.perf_counter() - started)
        big = QueueStore(root / "backlog").ensure()
        for _ in range(backlog):
            big.submit("bench", request)
        for _ in range(max(5, rounds // 10)):
            started = time.perf_counter()
            entries = big.pending()
            listing.append(time.perf_counter() - started)
        assert len(entries) == backlog
    return {
        "rounds": rounds,
        "anchor_durable_write": _stats(anchor),
        "proposal_lifecycle": _stats(lifecycle),
        "lifecycle_over_anchor": round(statistics.median(lifecycle) / statistics.median(anchor), 2),
        f"pending_{backlog}": _stats(listing),
    }
