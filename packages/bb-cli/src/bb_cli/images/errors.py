"""Errors of the image layer (exit 7; the whole tree is drawn in `bb_cli.errors`).

ImageError (BbError, RuntimeError)
├── ImagesMissingError      no compatible image is present locally
├── SourceTreeNotFoundError building needs bot-bottle's source tree
├── BaseImageError          the Debian base could neither be pulled nor made
└── ImageBuildError         a step of a build failed
"""

from __future__ import annotations

from bb_cli.errors import BbError

__all__ = [
    "BaseImageError",
    "ImageBuildError",
    "ImageError",
    "ImagesMissingError",
    "SourceTreeNotFoundError",
]


class ImageError(BbError, RuntimeError):
    """Root of the image layer's errors; each message says what to do."""

    exit_code = 7


class ImagesMissingError(ImageError):
    """No image compatible with this CLI's protocol version is present locally."""


class SourceTreeNotFoundError(ImageError):
    """Building images needs bot-bottle's source tree (Dockerfiles and packages)."""


class BaseImageError(ImageError):
    """The ``debian:trixie-slim`` base could neither be found, pulled nor made locally."""


class ImageBuildError(ImageError):
    """A build step failed; the message names the step and where its full log is."""
