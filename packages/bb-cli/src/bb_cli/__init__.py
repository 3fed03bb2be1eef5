"""bot-bottle's bb-cli package."""

from bb_cli._version import __version__

__all__ = ["__version__"]
