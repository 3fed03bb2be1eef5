"""Atomic, durable file writes (Maildir style): write in ``tmp/``, fsync, then rename or link.

Built on `bb_protocol.atomic` (the one durable-write primitive); what differs is the
protocol: the temporary file lives in the queue's own ``tmp/`` directory, and
``publish_new`` links instead of renaming. Readers only ever look in the destination
directories, so they never see a partial file: a file is either absent there or complete.
``publish_new`` refuses to replace an existing file (it links, which fails when the name is
taken), which is how "the first decision stands" and "archived exactly once" are enforced
without locks.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from bb_protocol.atomic import fsync_dir, write_fsynced

__all__ = ["FILE_MODE", "fsync_dir", "publish_new", "publish_replace", "write_tmp"]


FILE_MODE = 0o644
"""Queue files are readable by every component sharing the volume (they hold no secret:
responses are authenticated, previews redacted), whichever uid each runs as."""


def write_tmp(tmp_dir: Path, data: bytes) -> Path:
    """Write ``data`` to a fresh, fsynced file in ``tmp_dir`` and return its path."""
    path = tmp_dir / f"{secrets.token_hex(12)}.{os.getpid()}.tmp"
    write_fsynced(path, data, FILE_MODE)
    return path


def publish_new(tmp_dir: Path, target: Path, data: bytes) -> None:
    """Atomically create ``target`` with ``data``; raise `FileExistsError` if it exists."""
    tmp = write_tmp(tmp_dir, data)
    try:
        os.link(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    fsync_dir(target.parent)


def publish_replace(tmp_dir: Path, target: Path, data: bytes) -> None:
    """Atomically create or replace ``target`` with ``data``."""
    tmp = write_tmp(tmp_dir, data)
    os.replace(tmp, target)
    fsync_dir(target.parent)
