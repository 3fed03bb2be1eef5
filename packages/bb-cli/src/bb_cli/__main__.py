"""Entry point of the ``bb`` command.

``bb dlp scan`` goes straight to the DLP scanner, before the command tree is built: the scan
is a short-lived process whose whole start-up budget is a quarter of a second (issue 14), and
typer, click, rich and every command module cost about a third of that before the first byte
is scanned. Its help (``-h``/``--help``) still comes from the tree, like every other command.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

_FAST: tuple[str, ...] = ("dlp", "scan")
"""The command dispatched without the tree (same flags, output and exit codes)."""


def main() -> None:
    """Run the CLI."""
    argv = sys.argv[1:]
    if tuple(argv[:2]) == _FAST and not {"-h", "--help"} & set(argv[2:]):
        from bb_dlp.cli import main as scan

        raise SystemExit(scan(argv[2:]))
    from bb_cli.app import main as app_main

    app_main()


if __name__ == "__main__":
    main()
