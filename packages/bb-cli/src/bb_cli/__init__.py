"""bot-bottle's bb-cli package."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bb_cli._version import __version__

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Read from installed metadata on first use only: importlib.metadata costs tens of
    # milliseconds that ``bb dlp scan`` (a short-lived process) should not pay.
    if name == "__version__":
        from bb_cli._version import __version__

        return __version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
