"""Live routes: load the routes file, swap atomically on SIGHUP or change, keep old on error.

Why this shape: the routes file lives in a bind-mounted directory and is replaced atomically
(`bb_protocol.atomic.write_atomic`: write then rename) on the host, by ``bb start`` or the
host applicator after an operator's decision (supervise never writes it); a single-file bind
mount would keep the old inode forever. A missing file at startup means deny-all; an
invalid file at startup means deny-all; an invalid file later is rejected, logged, and the
previous routes stay in force.
Readers see either the whole old or the whole new `RoutesFile`, never a mix.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from bb_protocol.logging import get_logger
from bb_protocol.routes import RoutesError, RoutesFile, parse_routes

__all__ = ["RoutesStore"]

_log = get_logger("bb-egress.reload")


@dataclass(frozen=True)
class _Stamp:
    inode: int
    size: int
    mtime_ns: int


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _Stamp(st.st_ino, st.st_size, st.st_mtime_ns)


class RoutesStore:
    """Holds the routes in force; `reload` swaps them, `watch` reloads on SIGHUP or change."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.routes = RoutesFile()
        self.generation = 0
        self.last_error: str | None = None
        self._stamp: _Stamp | None = None
        self.reload(initial=True)

    def reload(self, *, initial: bool = False) -> bool:
        """Re-read the file; return True when new routes are now in force.

        A missing file means deny-all; a bad file keeps the routes already in force (which
        are deny-all at startup).
        """
        if self.path is None:
            self._swap(RoutesFile(), "no routes file configured: denying everything")
            return True
        self._stamp = _stamp(self.path)
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self._swap(RoutesFile(), f"routes file {self.path} is missing: denying everything")
            return True
        except (OSError, UnicodeDecodeError) as exc:
            return self._reject(f"cannot read routes file {self.path}: {exc}", initial)
        try:
            routes = parse_routes(text, source=str(self.path))
        except RoutesError as exc:
            return self._reject(str(exc), initial)
        self._swap(routes, None)
        return True

    def _swap(self, routes: RoutesFile, warning: str | None) -> None:
        self.routes = routes
        self.generation += 1
        self.last_error = None
        if warning is not None:
            _log.warn(warning)
        else:
            _log.info(
                "routes loaded",
                {"routes": len(routes.routes), "generation": self.generation, "file": self.path},
            )

    def _reject(self, message: str, initial: bool) -> bool:
        self.last_error = message
        kept = "denying everything" if initial else "keeping the previous routes"
        _log.error(f"routes file rejected, {kept}: {message}")
        return False

    def changed(self) -> bool:
        """True when the file on disk differs (inode, size or mtime) from the last read."""
        return self.path is not None and _stamp(self.path) != self._stamp

    async def watch(self, interval: float = 1.0) -> None:
        """Reload on SIGHUP and whenever the file changes; runs until cancelled."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        try:
            loop.add_signal_handler(signal.SIGHUP, wake.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            _log.warn("SIGHUP reload unavailable here; relying on the file watch")
        try:
            while True:
                try:
                    await asyncio.wait_for(wake.wait(), timeout=interval)
                except TimeoutError:
                    if not self.changed():
                        continue
                wake.clear()
                self.reload()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
