"""Reading audit files on the host, whole or followed like ``tail -f``.

A sidecar appends whole lines (one ``write`` each), but a reader can still catch a line
half written; `AuditTail` keeps the unfinished tail of each file until its newline
arrives. A file that does not exist yet (a bottle whose gate has not pushed) is simply
empty until it appears; a file that shrank (replaced) is read again from the start.
Reading is linear in the bytes read: each poll reads only what was appended.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from bb_cli.audit_view import LineParser
from bb_protocol.audit import AuditRecord

__all__ = ["AuditTail", "read_records"]


def read_records(path: Path, parser: LineParser) -> Iterator[AuditRecord]:
    """Every complete record in ``path`` (none when it does not exist), streamed."""
    try:
        handle = path.open("r", encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            if line.endswith("\n"):
                record = parser.parse(line)
                if record is not None:
                    yield record


class AuditTail:
    """Remembers how far each file was read; `poll` returns the records appended since."""

    def __init__(self, paths: Sequence[Path], parser: LineParser, *, from_end: bool) -> None:
        self.paths = list(paths)
        self.parser = parser
        self._offsets: dict[Path, int] = {}
        self._pending: dict[Path, bytes] = {}
        for path in self.paths:
            self._offsets[path] = path.stat().st_size if from_end and path.exists() else 0

    def add(self, path: Path) -> None:
        """Follow one more file from its start (a bottle created while following)."""
        if path not in self._offsets:
            self.paths.append(path)
            self._offsets[path] = 0

    def poll(self) -> list[AuditRecord]:
        """Records appended to any file since the last poll, ordered by time."""
        out: list[AuditRecord] = []
        for path in self.paths:
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            offset = self._offsets[path]
            if size < offset:  # replaced or truncated: start again
                offset, self._pending[path] = 0, b""
            if size == offset:
                continue
            with path.open("rb") as handle:
                handle.seek(offset)
                data = self._pending.pop(path, b"") + handle.read(size - offset)
            self._offsets[path] = size
            complete, _, rest = data.rpartition(b"\n")
            if rest:
                self._pending[path] = rest
            for line in complete.decode("utf-8", errors="replace").splitlines():
                record = self.parser.parse(line)
                if record is not None:
                    out.append(record)
        out.sort(key=lambda r: r.time)
        return out
