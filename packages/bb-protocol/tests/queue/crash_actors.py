"""Queue writers run as subprocesses by test_crash.py; each may SIGKILL itself mid-protocol.

Usage: ``python crash_actors.py owner|decider QUEUE KEY LOG N CRASH_AT`` (CRASH_AT 0 = never).
The owner plays supervise (submit, claim, "apply" by appending to LOG, archive); the
decider plays the host (one pass approving every undecided proposal, logging each).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bb_protocol.queue import (
    AlreadyArchivedError,
    AlreadyDecidedError,
    ApprovalKey,
    Approve,
    CapabilityBlockRequest,
    QueueStore,
    UnknownProposalError,
)
from bb_testkit.crash import kill_at_operation


def _log(path: Path, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def owner(store: QueueStore, key: ApprovalKey, log: Path, n: int) -> None:
    store.recover("supervise")
    done = {
        r.proposal.request.detail
        for r in store.archived()
        if r.outcome == "approved" and isinstance(r.proposal.request, CapabilityBlockRequest)
    }
    waiting = [
        store.submit("demo", CapabilityBlockRequest(capability="c", detail=f"t{i}"))
        for i in range(n)
        if f"t{i}" not in done
    ]
    deadline = time.monotonic() + 60
    while waiting and time.monotonic() < deadline:
        for proposal in list(waiting):
            try:
                response = store.claim(proposal, key)
            except AlreadyArchivedError:
                waiting.remove(proposal)
                continue
            if response is None:
                continue
            _log(log, f"applied {proposal.id}")
            store.archive(proposal, "approved", by="supervise", response=response)
            waiting.remove(proposal)
        time.sleep(0.002)
    if waiting:
        sys.exit(3)


def decider(store: QueueStore, key: ApprovalKey, log: Path) -> None:
    for entry in store.pending():
        if entry.response is not None or entry.claimed:
            continue
        try:
            store.decide(entry.proposal.id, Approve(reason="ok"), key, decided_by="op")
        except (AlreadyDecidedError, AlreadyArchivedError, UnknownProposalError):
            continue
        _log(log, f"decided {entry.proposal.id}")


def main() -> None:
    role, queue, key_file, log, n, crash_at = sys.argv[1:7]
    store = QueueStore(Path(queue)).ensure()
    key = ApprovalKey.load(Path(key_file))
    if int(crash_at):
        kill_at_operation(int(crash_at))
    if role == "owner":
        owner(store, key, Path(log), int(n))
    else:
        decider(store, key, Path(log))


if __name__ == "__main__":
    main()
