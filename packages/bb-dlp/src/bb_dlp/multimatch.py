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

A cached database is never trusted blindly: Hyperscan deserializes it into memory it then
executes from, so a file is loaded only if it and its folder belong to this user (or root,
for the images' baked caches) and nobody else can write them, and only if its own SHA-256
(stored in the file's header) matches. Anything else (absent, stale, truncated, corrupt,
foreign) is compiled afresh and, where the folder allows, rewritten atomically; a folder that
cannot be written only costs the next process a compile.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import hyperscan

from bb_protocol.atomic import write_atomic

__all__ = [
    "CACHE_DIR_VAR",
    "HS_VERSION",
    "LiteralSet",
    "RuleSet",
    "load_database",
    "store_database",
    "user_cache_dir",
]

CACHE_DIR_VAR: Final = "BB_DLP_CACHE_DIR"
"""Directory of serialized static databases (unset: always compile)."""

_SOM: Final = hyperscan.HS_FLAG_SOM_LEFTMOST
_HS_VERSION: Final = str(getattr(hyperscan, "__version__", "unknown"))
HS_VERSION: Final = _HS_VERSION
"""The Hyperscan binding's version (cache keys digest it)."""
_MAGIC: Final = b"bb-dlp hsdb 1\n"
"""Header of a cache file, followed by the SHA-256 of the serialized database."""


def user_cache_dir() -> Path:
    """This user's cache folder for compiled databases: ``$XDG_CACHE_HOME/bot-bottle/dlp``,
    else ``~/.cache/bot-bottle/dlp`` (what a short-lived ``bb dlp scan`` reuses across runs)."""
    base = os.environ.get("XDG_CACHE_HOME", "") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bot-bottle" / "dlp"


def _trusted(path: Path) -> bool:
    """Whether ``path`` is owned by this user or root and writable by nobody else."""
    try:
        info = path.stat()
    except OSError:
        return False
    owner_ok = info.st_uid in (os.getuid(), 0)
    return owner_ok and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


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
    """The cached database at ``path`` if it is trusted and intact, else None (compile)."""
    if path is None or not (_trusted(path.parent) and _trusted(path)):
        return None
    try:
        raw = path.read_bytes()
    except OSError:
        return None  # absent or unreadable
    head, digest = raw[: len(_MAGIC)], raw[len(_MAGIC) : len(_MAGIC) + 32]
    payload = raw[len(_MAGIC) + 32 :]
    if head != _MAGIC or hashlib.sha256(payload).digest() != digest:
        return None  # an old format, a torn write, a flipped bit: compile instead
    try:
        return hyperscan.loadb(payload, hyperscan.HS_MODE_BLOCK)
    except (ValueError, TypeError, hyperscan.error):
        return None


def _store(path: Path | None, db: hyperscan.Database) -> None:
    """Write ``db`` to ``path`` with the one atomic write (`bb_protocol.atomic`), best effort.

    World-readable: an image's baked cache is root's and read by the sidecar's own user."""
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(path.parent):
            return  # a folder others can write is not one to leave databases in
        payload = hyperscan.dumpb(db)
        write_atomic(path, _MAGIC + hashlib.sha256(payload).digest() + payload, mode=0o644)
    except OSError:
        return  # read-only or full: the next process compiles


def load_database(path: Path | None) -> hyperscan.Database | None:
    """A database cached at ``path`` by `store_database`, if trusted and intact, else None."""
    return _load(path)


def store_database(path: Path | None, db: hyperscan.Database) -> None:
    """Cache ``db`` at ``path`` (checked header, atomic rename; best effort, never raises)."""
    _store(path, db)


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
        self,
        literals: Sequence[bytes],
        cache: str | None = None,
        cache_dir: Path | None = None,
        *,
        caseless: bool = False,
    ) -> None:
        """``cache`` names a static set (never one holding secrets) for the disk cache, in
        ``cache_dir`` or else the directory ``BB_DLP_CACHE_DIR`` names. ``caseless`` matches
        ASCII letters in either case (an upper-cased hex secret, a secret sent lower-cased)."""
        self.literals: tuple[bytes, ...] = tuple(literals)
        expressions = [_hex_escape(lit).encode() for lit in literals]
        flag = _SOM | (hyperscan.HS_FLAG_CASELESS if caseless else 0)
        super().__init__(expressions, [flag] * len(literals), cache, cache_dir)

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
