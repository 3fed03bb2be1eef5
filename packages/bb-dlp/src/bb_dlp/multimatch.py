"""Many patterns, one pass: a thin wrapper over Hyperscan (Vectorscan-compatible) block mode.

Hyperscan scans at GB/s regardless of the number of literals, which is what makes "every
rendering of every known secret plus every provider rule" affordable per request. A compiled
database is immutable and shared; the scratch space is per thread (Hyperscan forbids sharing
one between concurrent scans), so the engine is safe to call from worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Final

import hyperscan

__all__ = ["LiteralSet", "RuleSet"]

_SOM: Final = hyperscan.HS_FLAG_SOM_LEFTMOST


def _hex_escape(literal: bytes) -> str:
    return "".join(f"\\x{b:02x}" for b in literal)


class _Compiled:
    """A Hyperscan block-mode database plus thread-local scratch."""

    def __init__(self, expressions: Sequence[bytes], flags: Sequence[int]) -> None:
        self._db: hyperscan.Database | None = None
        self._local = threading.local()
        if expressions:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            db.compile(
                expressions=list(expressions),
                ids=list(range(len(expressions))),
                elements=len(expressions),
                flags=list(flags),
            )
            self._db = db

    def _scratch(self) -> hyperscan.Scratch:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = hyperscan.Scratch(self._db)
            self._local.scratch = scratch
        return scratch

    def _scan(self, data: bytes, limit: int = 0) -> tuple[list[tuple[int, int, int]], bool]:
        """Hits in ``data``; with ``limit``, stop after that many (second value: stopped)."""
        hits: list[tuple[int, int, int]] = []
        if self._db is None or not data:
            return hits, False

        def on_match(pid: int, start: int, end: int, _flags: int, _ctx: object) -> bool:
            hits.append((pid, start, end))
            return bool(limit) and len(hits) >= limit

        try:
            self._db.scan(data, match_event_handler=on_match, scratch=self._scratch())
        except hyperscan.ScanTerminated:
            return hits, True
        return hits, False


class LiteralSet(_Compiled):
    """Exact byte strings; ``find`` returns (literal index, start, end) of every occurrence."""

    def __init__(self, literals: Sequence[bytes]) -> None:
        self.literals: tuple[bytes, ...] = tuple(literals)
        super().__init__([_hex_escape(lit).encode() for lit in literals], [_SOM] * len(literals))

    def find(self, data: bytes) -> list[tuple[int, int, int]]:
        """Every occurrence (overlapping ones included) of any literal in ``data``."""
        return self._scan(data)[0]

    def find_some(self, data: bytes, limit: int) -> tuple[list[tuple[int, int, int]], bool]:
        """Up to ``limit`` occurrences; the flag says whether there were more."""
        return self._scan(data, limit)


class RuleSet(_Compiled):
    """Regexes used as a prefilter: ``which`` names the rules that match somewhere in ``data``.

    Each expression reports once per scan (SINGLEMATCH); the caller then runs the rule's own
    linear-time regex to extract the exact matches, which keeps the hot path to one pass.
    """

    def __init__(self, expressions: Sequence[bytes]) -> None:
        super().__init__(list(expressions), [hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions))

    def which(self, data: bytes) -> set[int]:
        """Indexes of the expressions that match ``data`` at least once."""
        return {pid for pid, _s, _e in self._scan(data)[0]}
