"""Many patterns, one pass: a thin wrapper over Hyperscan (Vectorscan-compatible) block mode.

Hyperscan scans at GB/s regardless of the number of literals, which is what makes "every
rendering of every known secret plus every provider rule" affordable per request. A compiled
database is immutable and shared; the scratch space is per thread (Hyperscan forbids sharing
one between concurrent scans), so the engine is safe to call from worker threads.

Compiling is the slow part (the provider rules take a few hundred milliseconds), which a
long-running proxy pays once but a short-lived process (the git gate's hook, once per push)
would pay every time. So the static databases, which hold no secret (the provider rules, the
suspicious Unicode characters), may be cached serialized: named sets are looked up in the
directory ``BB_DLP_CACHE_DIR`` names (by a digest of their expressions, flags and the
Hyperscan version) and written there after a compile. Sets built from secrets never are.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import hyperscan

__all__ = ["CACHE_DIR_VAR", "LiteralSet", "RuleSet"]

CACHE_DIR_VAR: Final = "BB_DLP_CACHE_DIR"
"""Directory of serialized static databases (unset: always compile)."""

_SOM: Final = hyperscan.HS_FLAG_SOM_LEFTMOST
_HS_VERSION: Final = importlib.metadata.version("hyperscan")


def _cache_file(
    name: str, expressions: Sequence[bytes], flags: Sequence[int], directory: Path | None
) -> Path | None:
    if directory is None:
        raw = os.environ.get(CACHE_DIR_VAR, "")
        if not raw:
            return None
        directory = Path(raw)
    digest = hashlib.sha256(f"{_HS_VERSION}\0{list(flags)}\0".encode())
    for expression in expressions:
        digest.update(expression + b"\0")
    return Path(directory) / f"{name}-{digest.hexdigest()[:32]}.hsdb"


def _load(path: Path | None) -> hyperscan.Database | None:
    if path is None:
        return None
    try:
        return hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK)
    except (OSError, ValueError, TypeError, hyperscan.error):
        return None  # absent or unreadable: compile instead


def _store(path: Path | None, db: hyperscan.Database) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_bytes(hyperscan.dumpb(db))
        partial.replace(path)
    except OSError:
        pass  # a read-only or full cache only costs the next process a compile


def _hex_escape(literal: bytes) -> str:
    return "".join(f"\\x{b:02x}" for b in literal)


class _Compiled:
    """A Hyperscan block-mode database plus thread-local scratch."""

    def __init__(
        self,
        expressions: Sequence[bytes],
        flags: Sequence[int],
        cache: str | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self._db: hyperscan.Database | None = None
        self._local = threading.local()
        if expressions:
            path = _cache_file(cache, expressions, flags, cache_dir) if cache else None
            db = _load(path)
            if db is None:
                db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
                db.compile(
                    expressions=list(expressions),
                    ids=list(range(len(expressions))),
                    elements=len(expressions),
                    flags=list(flags),
                )
                _store(path, db)
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

    def __init__(
        self, literals: Sequence[bytes], cache: str | None = None, cache_dir: Path | None = None
    ) -> None:
        """``cache`` names a static set (never one holding secrets) for the disk cache, in
        ``cache_dir`` or else the directory ``BB_DLP_CACHE_DIR`` names."""
        self.literals: tuple[bytes, ...] = tuple(literals)
        expressions = [_hex_escape(lit).encode() for lit in literals]
        super().__init__(expressions, [_SOM] * len(literals), cache, cache_dir)

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

    def __init__(
        self, expressions: Sequence[bytes], cache: str | None = None, cache_dir: Path | None = None
    ) -> None:
        """``cache`` names a static set (never one holding secrets) for the disk cache, in
        ``cache_dir`` or else the directory ``BB_DLP_CACHE_DIR`` names."""
        flags = [hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions)
        super().__init__(list(expressions), flags, cache, cache_dir)

    def which(self, data: bytes) -> set[int]:
        """Indexes of the expressions that match ``data`` at least once."""
        return {pid for pid, _s, _e in self._scan(data)[0]}
