"""The token-rule gate: one Hyperscan pass that says when Kingfisher could match at all.

Loading Kingfisher's compiled catalogue costs about a third of a second, more than a short
``bb dlp scan`` may spend on start-up (issue 14: 0.25 s), and most views of most requests hold
nothing any rule could match. So every Kingfisher rule's pattern is also compiled, with
``HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH``, into one database that answers "could any rule
match somewhere in these bytes?". Prefilter mode only ever widens a pattern (Hyperscan's
contract: every match of the pattern is a match of its prefilter form), and Kingfisher's own
candidate stage is a byte-mode Vectorscan scan of the very same patterns (no UTF-8 mode), so
a closed gate means Kingfisher would have reported nothing: it is neither loaded nor run.

The database is built from Kingfisher (which must then be loaded) once, stored in the checked
cache of `bb_dlp.multimatch` (owner, permissions, SHA-256) beside Kingfisher's own rule cache,
and keyed by the Kingfisher and Hyperscan versions and the confidence level: a process that
finds it loads it in well under a millisecond and imports no Kingfisher. Turned-off rules stay
in the gate (a gate that opens for them is only wider). A rule Hyperscan cannot compile even
in prefilter mode makes the gate always open: slower, never blind.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import hyperscan

from bb_dlp.multimatch import HS_VERSION, load_database, store_database

__all__ = ["GATE_FLAGS", "TokenGate", "gate_file"]

GATE_FLAGS: Final = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH
"""No SOM (the gate only asks whether), no UTF-8 mode (Kingfisher scans bytes)."""

_FORMAT: Final = "token-gate 1"
_ALWAYS: Final = rb"[\x00-\xff]"
"""The whole gate when some rule cannot be compiled: any non-empty input opens it."""


def gate_file(directory: Path, confidence: str, version: str) -> Path:
    """The gate's cache file for ``confidence`` in ``directory`` (its name digests the gate
    format, the rule catalogue's ``version``, Hyperscan's version and the confidence level)."""
    key = f"{_FORMAT}\0{version}\0{HS_VERSION}\0{confidence}\0{GATE_FLAGS}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return directory / f"token-gate-{confidence}-{digest}.hsdb"


def _compile(patterns: Sequence[str]) -> tuple[hyperscan.Database, bool]:
    """The gate database, and whether it had to fall back to always open."""
    expressions = [p.encode("utf-8") for p in patterns]
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        db.compile(
            expressions=expressions,
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=[GATE_FLAGS] * len(expressions),
        )
        return db, False
    except hyperscan.error:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=[_ALWAYS], ids=[0], elements=1, flags=[GATE_FLAGS])
        return db, True


class TokenGate:
    """Whether any Kingfisher rule could match some bytes (a superset of its real matches).

    Immutable after construction; Hyperscan scratch is per thread, so the gate is safe to
    share across the proxy's worker threads.
    """

    def __init__(
        self,
        directory: Path | None,
        confidence: str,
        version: str,
        patterns: Callable[[], Sequence[str]],
    ) -> None:
        """Load the gate for ``confidence`` and catalogue ``version`` from ``directory``, else
        build it from ``patterns()`` (which loads Kingfisher) and store it there. Without a
        directory it is built in memory (seconds): callers with no cache go without a gate."""
        self._local = threading.local()
        path = gate_file(directory, confidence, version) if directory is not None else None
        db = load_database(path)
        self.loaded = db is not None
        """True when the gate came from the cache (nothing compiled, Kingfisher not needed)."""
        self.always_open = False
        if db is None:
            db, self.always_open = _compile(patterns())
            store_database(path, db)
        self._db = db

    def _scratch(self) -> hyperscan.Scratch:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = hyperscan.Scratch(self._db)
            self._local.scratch = scratch
        return scratch

    def opens(self, data: bytes) -> bool:
        """True when some rule's prefilter form matches ``data`` (stops at the first)."""
        if not data:
            return False
        hit = False

        def on_match(_pid: int, _start: int, _end: int, _flags: int, _ctx: object) -> bool:
            nonlocal hit
            hit = True
            return True  # stop the scan: one is enough

        with contextlib.suppress(hyperscan.ScanTerminated):  # raised by the early stop
            self._db.scan(data, match_event_handler=on_match, scratch=self._scratch())
        return hit
