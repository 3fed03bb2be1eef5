"""bot-bottle's shared contract.

Everything the host CLI and the sidecars (egress, supervise, git-gate) must agree on lives
here and nowhere else: the queue-volume layout and message models, ``PROTOCOL_VERSION``,
the egress routes schema, MCP tool names, environment-variable names and logging.

This package depends on pydantic and PyYAML only and imports no other ``bb_*`` package;
CI proves it installs and imports alone.
"""

from bb_protocol._version import __version__
from bb_protocol.versions import ACCEPTED_PROTOCOL_VERSIONS, PROTOCOL_VERSION

__all__ = ["ACCEPTED_PROTOCOL_VERSIONS", "PROTOCOL_VERSION", "__version__"]
