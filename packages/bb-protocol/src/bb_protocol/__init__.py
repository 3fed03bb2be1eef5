"""bot-bottle's shared contract.

Everything the host CLI and the sidecars (egress, supervise, git-gate) must agree on lives
here and nowhere else: the queue-volume layout and message models, ``PROTOCOL_VERSION``,
the egress routes schema, the git gate's config schema (`bb_protocol.gitgate`), MCP tool
names and arguments, environment-variable names, service names, ports and mount points
(`bb_protocol.layout`), the sidecars' users, the one durable file write
(`bb_protocol.atomic`) and logging.

This package depends on pydantic and PyYAML only and imports no other ``bb_*`` package;
CI proves it installs and imports alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bb_protocol.versions import ACCEPTED_PROTOCOL_VERSIONS, PROTOCOL_VERSION

if TYPE_CHECKING:
    from bb_protocol._version import __version__

__all__ = ["ACCEPTED_PROTOCOL_VERSIONS", "PROTOCOL_VERSION", "__version__"]


def __getattr__(name: str) -> str:
    # Read from installed metadata on first use only: importlib.metadata costs tens of
    # milliseconds that a short-lived importer (``bb dlp scan``, the gate's hook) should not pay.
    if name == "__version__":
        from bb_protocol._version import __version__

        return __version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
