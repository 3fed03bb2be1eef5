"""Protocol versioning between independently versioned packages.

Each package (and its image) carries its own release version. Whether a CLI and a sidecar
can work together is decided at run time by ``PROTOCOL_VERSION``: every message on the queue
volume carries the version it was written with, and a reader refuses versions outside
``ACCEPTED_PROTOCOL_VERSIONS`` with a clear message instead of guessing.
"""

from typing import Final

PROTOCOL_VERSION: Final = 1
"""The version every writer stamps on the messages it writes."""

ACCEPTED_PROTOCOL_VERSIONS: Final = frozenset({1})
"""The versions a reader accepts; anything else is rejected, never treated as approval."""


class ProtocolVersionError(ValueError):
    """A peer speaks a protocol version this package does not accept."""


def check_protocol_version(found: int, *, peer: str) -> None:
    """Raise `ProtocolVersionError` naming the peer when ``found`` is not accepted."""
    if found not in ACCEPTED_PROTOCOL_VERSIONS:
        accepted = ", ".join(str(v) for v in sorted(ACCEPTED_PROTOCOL_VERSIONS))
        raise ProtocolVersionError(
            f"{peer} speaks protocol version {found}; this side accepts {accepted}. "
            "Upgrade the older of the two so their protocol versions match."
        )
