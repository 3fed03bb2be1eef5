"""``bb-egress``: ``run`` starts the proxy; ``dlp scan`` is the operator's offline DLP dry run.

A tiny dispatcher so each subcommand imports only what it needs (``dlp scan`` never loads
mitmproxy).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_USAGE = (
    "usage: bb-egress run [options]        start the egress proxy\n"
    "       bb-egress dlp scan [options] HAR...  scan recorded traffic for secrets\n"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Route ``run`` and ``dlp scan``; anything else prints usage and exits 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        from bb_egress.proxy_main import main as run_main

        return run_main(args[1:])
    if args[:2] == ["dlp", "scan"]:
        from bb_dlp.cli import main as scan_main

        return scan_main(args[2:])
    if args[:1] in (["-h"], ["--help"]):
        sys.stdout.write(_USAGE)
        return 0
    sys.stderr.write(_USAGE)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
