"""Kill -9 any queue writer at any point: nothing is lost or duplicated, nothing applied twice.

The writers are real subprocesses (`crash_actors.py`). Each run SIGKILLs itself at a random
filesystem mutation (open, write, fsync, link, rename, unlink), chosen by a seeded RNG so a
failure reproduces; killed writers are restarted until a final crash-free run finishes.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bb_protocol.queue import ApprovalKey, CapabilityBlockRequest, QueueStore

ACTORS = Path(__file__).with_name("crash_actors.py")
REQUESTS = 5
CRASHING_ROUNDS = 12


def _run(role: str, queue: Path, key: Path, log: Path, crash_at: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            str(ACTORS),
            role,
            str(queue),
            str(key),
            str(log),
            str(REQUESTS),
            str(crash_at),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_writers_killed_at_random_points_lose_duplicate_and_reapply_nothing(tmp_path, seed):
    """Every request is approved exactly once; every decision applied at most once."""
    rng = random.Random(seed)
    queue, key, log = tmp_path / "queue", tmp_path / "approval.key", tmp_path / "log"
    ApprovalKey.create_file(key)
    kills = 0
    for round_no in range(200):
        crashing = round_no < CRASHING_ROUNDS
        owner = _run("owner", queue, key, log, rng.randint(1, 80) if crashing else 0)
        while owner.poll() is None:
            decider = _run("decider", queue, key, log, rng.randint(1, 30) if crashing else 0)
            kills += decider.wait(timeout=60) == -signal.SIGKILL
        kills += owner.returncode == -signal.SIGKILL
        if owner.returncode == 0:
            break
        assert owner.returncode == -signal.SIGKILL, f"owner failed with {owner.returncode}"
    else:
        pytest.fail("owner never finished")
    assert kills > 0, "the seed produced no kill; the test proved nothing"

    lines = log.read_text(encoding="utf-8").split() if log.exists() else []
    applied = Counter(lines[i + 1] for i in range(0, len(lines), 2) if lines[i] == "applied")
    decided = {lines[i + 1] for i in range(0, len(lines), 2) if lines[i] == "decided"}
    assert all(count == 1 for count in applied.values()), f"applied twice: {applied}"

    store = QueueStore(queue)
    records = store.archived()
    assert len(records) == len(list(store.processed.glob("*.json"))), "a corrupt archive record"
    by_id = {r.proposal.id: r for r in records}
    approved = Counter(
        r.proposal.request.detail
        for r in records
        if r.outcome == "approved" and isinstance(r.proposal.request, CapabilityBlockRequest)
    )
    assert approved == Counter(f"t{i}" for i in range(REQUESTS)), "a request lost or doubled"
    for proposal_id in applied:
        assert proposal_id in by_id, f"applied {proposal_id} but it has no archive record"
        assert by_id[proposal_id].response is not None, "an applied decision was not kept"
    for proposal_id in decided:
        assert proposal_id in by_id, f"decision on {proposal_id} was lost"
    assert store.pending() == []
    for directory in (store.new, store.responses, store.claims):
        assert not list(directory.glob("*.json")), f"left-over in {directory.name}"
