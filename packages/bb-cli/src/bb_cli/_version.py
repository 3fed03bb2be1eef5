"""The package's own version, read from its installed metadata."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bot-bottle")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0"
