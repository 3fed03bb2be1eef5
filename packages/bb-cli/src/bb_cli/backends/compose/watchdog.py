"""The storage watchdog: stops the agent when its writable volumes pass the storage cap.

Runs inside the bottle as its own container, not on the host: this file's source reaches
the container in its environment and is run by the egress image's Python (standard library
only; it never imports bot-bottle). Not a bind mount: the agent can read the watchdog's
``/proc/1/mountinfo``, which would show the host path of the bottle's state directory.
Where the engine cannot put a quota on a volume (overlay2 or local volumes on anything but
xfs with project quotas), this is what stops one agent from filling the host's disk through
``/workspace`` or its home.

Why a sidecar and how it stops the agent without a Docker socket: the watchdog container
owns the PID namespace the agent joins (``pid: container:<watchdog>``), with ``tini`` as
PID 1 and this script its only child. When usage passes the cap the script exits; tini
exits with it, and the kernel kills every process left in the namespace, that is, the whole
agent. The agent cannot prevent it: it runs as another uid without capabilities, so it
can neither signal nor trace the watchdog, and PID 1 ignores signals from inside its
namespace. It cannot hide bytes from the walk either: the watchdog reads the volumes
read-only with ``CAP_DAC_READ_SEARCH`` (mode 000 directories are still counted). If the
watchdog dies for any other reason the agent dies with it: the bottle fails closed.

Usage counts allocated blocks (sparse files count as what they occupy on the host), each
hard-linked inode once, and stays on each volume's filesystem. A walk's cost grows with the
number of files, so the pause between walks is the larger of ``--interval`` and five times
the last walk's duration. Overshoot before the stop is the agent's write rate times that
pause (docs/security-model.md).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
from collections.abc import Iterable, Sequence

EXIT_OVER_LIMIT = 3
"""Exit status (of the watchdog container) when the cap was passed."""


def usage(roots: Iterable[str]) -> int:
    """Bytes allocated under ``roots`` (blocks, hard links once, one filesystem per root)."""
    total = 0
    seen: set[tuple[int, int]] = set()
    for root in roots:
        try:
            device = os.lstat(root).st_dev
        except OSError:
            continue
        stack = [root]
        while stack:
            path = stack.pop()
            try:
                entries = list(os.scandir(path))
            except OSError:
                continue
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if info.st_dev != device:
                    continue
                if info.st_nlink > 1 and not stat.S_ISDIR(info.st_mode):
                    key = (info.st_dev, info.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                total += info.st_blocks * 512
                if stat.S_ISDIR(info.st_mode):
                    stack.append(entry.path)
    return total


def _report(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def watch(roots: Sequence[str], limit: int, interval: float) -> int:
    """Walk ``roots`` until their usage passes ``limit``; the exit status then."""
    _report("watching", roots=list(roots), limit=limit)
    while True:
        started = time.monotonic()
        used = usage(roots)
        if used > limit:
            _report("storage-exceeded", used=used, limit=limit, action="agent stopped")
            return EXIT_OVER_LIMIT
        walk = time.monotonic() - started
        time.sleep(max(interval, 5 * walk))


def main(argv: Sequence[str] | None = None) -> int:
    """``watchdog.py --limit BYTES [--interval S] ROOT...``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--limit", type=int, required=True, help="bytes")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between walks")
    parser.add_argument("roots", nargs="+")
    args = parser.parse_args(argv)
    if args.limit <= 0 or args.interval <= 0:
        parser.error("--limit and --interval must be positive")
    return watch(args.roots, args.limit, args.interval)


if __name__ == "__main__":
    sys.exit(main())
