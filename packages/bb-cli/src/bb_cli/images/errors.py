"""Errors of the image layer (exit 7; the whole tree is drawn in `bb_cli.errors`).

ImageError (BbError, RuntimeError)
├── ImagesMissingError      no compatible image is present locally
├── SourceTreeNotFoundError building needs bot-bottle's source tree
├── BaseImageError          the Debian base could neither be pulled nor made
├── ImageBuildError         a step of a build failed
├── ImageRefusedError       an image's labels do not match what was asked for
├── PublishConflictError    that version is already published with other content
└── RegistryError           the registry setting is malformed or the registry refused
    └── RegistryUnreachableError  the registry does not answer (ConnectionError)
"""

from __future__ import annotations

from bb_cli.errors import BbError

__all__ = [
    "BaseImageError",
    "ImageBuildError",
    "ImageError",
    "ImageRefusedError",
    "ImagesMissingError",
    "PublishConflictError",
    "RegistryError",
    "RegistryUnreachableError",
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


class ImageRefusedError(ImageError, ValueError):
    """An image's labels (component, version, protocol) do not match what was asked for."""


class PublishConflictError(ImageError):
    """The registry already holds that component's version with different content."""


class RegistryError(ImageError):
    """The registry setting is malformed, or the registry answered with an error."""


class RegistryUnreachableError(RegistryError, ConnectionError):
    """The registry did not answer within the timeout (or refused the connection)."""
