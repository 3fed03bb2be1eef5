"""`EgressApplicator`: an approved routes change becomes the bottle's live routes.

Validate first (an invalid change is refused and the old routes stay), write the routes
file atomically (temp file in the same directory, fsync, rename), then signal the proxy.
If the signal fails, the old file is put back so file and proxy never disagree silently.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bb_cli.applicator.errors import InvalidChangeError, ReloadError
from bb_cli.applicator.reload import ReloadSignal
from bb_cli.applicator.routes_change import changed_routes
from bb_protocol.atomic import write_atomic
from bb_protocol.logging import get_logger
from bb_protocol.queue import EgressAllowRequest, EgressBlockRequest
from bb_protocol.routes import RoutesError, RoutesFile, dump_routes, parse_routes

__all__ = ["EgressApplicator"]

_log = get_logger("bb.applicator")


class EgressApplicator:
    """Applies egress-allow / egress-block decisions to one bottle's routes file."""

    def __init__(self, routes_file: Path, reload: ReloadSignal) -> None:
        self.routes_file = routes_file
        self.reload_signal = reload

    def current(self) -> tuple[str, RoutesFile]:
        """The routes file's text and parsed routes; a missing or invalid file is refused."""
        try:
            text = self.routes_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidChangeError(f"cannot read routes file {self.routes_file}: {exc}") from exc
        try:
            return text, parse_routes(text, source=str(self.routes_file))
        except RoutesError as exc:
            raise InvalidChangeError(f"the current routes file is invalid: {exc}") from exc

    def preview(self, request: EgressAllowRequest | EgressBlockRequest) -> RoutesFile:
        """The routes the change would produce, validated, without writing anything."""
        return changed_routes(self.current()[1], request)

    def apply(self, request: EgressAllowRequest | EgressBlockRequest) -> RoutesFile:
        """Validate, write atomically, reload; on reload failure restore the old file."""
        return self.apply_change(lambda old: changed_routes(old, request), request.kind)

    def apply_change(self, change: Callable[[RoutesFile], RoutesFile], kind: str) -> RoutesFile:
        """Apply any pure routes ``change`` (an approval's, or ``bb routes add/rm``) the same way.

        ``change`` raises `InvalidChangeError` to refuse; nothing is written then.
        """
        old_text, old = self.current()
        new = change(old)
        if new == old:
            _log.info("routes already as approved", {"file": str(self.routes_file)})
            return new
        write_atomic(self.routes_file, dump_routes(new))
        try:
            self.reload_signal.reload()
        except ReloadError:
            write_atomic(self.routes_file, old_text)
            raise
        _log.info(
            "routes changed and proxy reloaded",
            {"file": str(self.routes_file), "kind": kind, "routes": len(new.routes)},
        )
        return new
