"""A fake tool's state: one JSON document under ``$BB_FAKE_STATE``, updated under a lock."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["root", "state"]


def root() -> Path:
    """The fake's state directory (``$BB_FAKE_STATE``)."""
    value = os.environ.get("BB_FAKE_STATE")
    if not value:
        raise SystemExit("fake: BB_FAKE_STATE is not set")
    return Path(value)


@contextmanager
def state() -> Iterator[dict[str, Any]]:
    """The state document, locked for the duration and written back afterwards."""
    base = root()
    base.mkdir(parents=True, exist_ok=True)
    with (base / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = base / "state.json"
        data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        yield data
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, path)
