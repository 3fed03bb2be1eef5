"""bot-bottle's bb-gitgate package."""

from bb_gitgate._version import __version__

__all__ = ["__version__"]
