"""Atomic, durable file writes (Maildir style): write in ``tmp/``, fsync, then rename or link.

Readers only ever look in the destination directories, so they never see a partial file:
a file is either absent there or complete. ``publish_new`` refuses to replace an existing
file (it links, which fails when the name is taken), which is how "the first decision
stands" and "archived exactly once" are enforced without locks.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["FILE_MODE", "fsync_dir", "publish_new", "publish_replace", "write_tmp"]


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


FILE_MODE = 0o644
"""Queue files are readable by every component sharing the volume (they hold no secret:
responses are authenticated, previews redacted), whichever uid each runs as."""


def write_tmp(tmp_dir: Path, data: bytes) -> Path:
    """Write ``data`` to a fresh, fsynced file in ``tmp_dir`` and return its path."""
    path = tmp_dir / f"{secrets.token_hex(12)}.{os.getpid()}.tmp"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # not narrowed by the writer's umask
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
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
