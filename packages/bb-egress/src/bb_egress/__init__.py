"""bot-bottle's bb-egress package."""

from bb_egress._version import __version__

__all__ = ["__version__"]
