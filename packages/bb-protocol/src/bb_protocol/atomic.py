"""One way to write a file that must survive a crash: the whole new file or the old one.

Every file a reader on the other side of a container boundary (or a later ``bb`` command)
relies on is written here: ``routes.yaml``, ``gate.yaml``, ``compose.yaml``, bottle records,
the egress CA export. The sequence is the classic one: a fresh temporary file in the *same*
directory (so the rename never crosses a filesystem), its mode set explicitly (a writer's
umask must not narrow what another uid reads), data written and fsynced, ``rename`` over the
target, then the directory fsynced so the rename itself survives a power cut. A failure
leaves the target untouched and no temporary file behind.

The queue's Maildir-style writes (`bb_protocol.queue.atomic`: ``tmp/`` then link or rename
into ``new/``) are a different protocol built on the same two primitives, `write_fsynced`
and `fsync_dir`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["fsync_dir", "write_atomic", "write_fsynced"]


def fsync_dir(directory: Path) -> None:
    """Make a rename, link or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_fsynced(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` (it must not exist) with ``data`` and ``mode``, fsynced before return."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # not narrowed by the writer's umask
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes | str, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` (str is written as UTF-8) so a crash leaves either the
    old file or the new one, never a partial one; ``mode`` is set exactly."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        write_fsynced(tmp, payload, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
