"""bot-bottle's bb-supervise package."""

from bb_supervise._version import __version__

__all__ = ["__version__"]
