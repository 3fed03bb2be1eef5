"""``bb-supervise serve``: run the MCP server over streamable HTTP (the sidecar's command)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bb_protocol import layout
from bb_protocol.logging import get_logger
from bb_protocol.queue import QueueError
from bb_supervise.config import SuperviseConfig
from bb_supervise.errors import SuperviseError

__all__ = ["main"]

_log = get_logger("bb-supervise")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, read the environment and serve until stopped."""
    parser = argparse.ArgumentParser(prog="bb-supervise", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the MCP endpoint at /mcp over streamable HTTP")
    serve.add_argument("--host", help="listen address (overrides the environment)")
    serve.add_argument("--port", type=int, help="listen port (overrides the environment)")
    args = parser.parse_args(argv)
    try:
        config = SuperviseConfig.from_env()
    except SuperviseError as exc:
        _log.error(f"bb-supervise: {exc}")
        return 2
    updates = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    config = config.model_copy(update=updates)
    from mcp.server.transport_security import TransportSecuritySettings

    from bb_supervise.server import make_server

    server = make_server(config)
    _log.info("serving", {"host": config.host, "port": config.port, "bottle": config.bottle})
    try:
        server.run(
            "streamable-http",
            host=config.host,
            port=config.port,
            streamable_http_path=layout.SUPERVISE_PATH,  # the URL the agent is given
            # The agent reaches us by the compose service name; Host-header rebinding
            # protection is for browsers and does not apply on the bottle's network.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
    except QueueError as exc:
        _log.error(f"bb-supervise: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
