"""``bb-gitgate``: the git gate's command line.

``bb-gitgate serve --config PATH`` serves the configured repos until SIGTERM/SIGINT.
``bb-gitgate check --config PATH`` validates the config and exits (0 valid, 2 invalid).
``bb-gitgate health [--port N]`` asks the running gate's ``/healthz`` on 127.0.0.1 (exit 0
healthy, 1 not): a container health check needing no curl.
Exit status 2 means the config is wrong (the message names the field); 1 any other error.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from bb_gitgate._version import __version__
from bb_gitgate.config import load_config
from bb_gitgate.errors import ConfigError, GitGateError
from bb_protocol.layout import GATE_PORT
from bb_protocol.logging import get_logger

__all__ = ["main"]

ENV_CONFIG_PATH = "BB_GITGATE_CONFIG"
_LOG = get_logger("bb-gitgate")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bb-gitgate", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"bb-gitgate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("serve", "serve git smart HTTP"), ("check", "validate the config")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument(
            "--config",
            type=Path,
            default=os.environ.get(ENV_CONFIG_PATH),
            help=f"gate config (YAML or JSON); default ${ENV_CONFIG_PATH}",
        )
    health = commands.add_parser("health", help="ask the running gate's /healthz")
    health.add_argument("--port", type=int, default=GATE_PORT, help="default %(default)s")
    return parser


def _health(port: int) -> int:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            healthy = resp.status == 200
    except OSError as exc:
        _LOG.error(f"unhealthy: {exc}")
        return 1
    return 0 if healthy else 1


def _serve(config_path: Path) -> int:
    from bb_gitgate.server import make_server

    config = load_config(config_path)
    server = make_server(config, config_path.resolve())

    def _stop(signum: int, _frame: FrameType | None) -> None:
        _LOG.info("stopping", {"signal": signal.Signals(signum).name})
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    host, port = server.server_address[:2]
    _LOG.info(
        "serving",
        {
            "host": host,
            "port": port,
            "repos": ",".join(r.name for r in config.repos),
            "version": __version__,
        },
    )
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "health":
        return _health(args.port)
    if args.config is None:
        _LOG.error(f"no config: pass --config or set {ENV_CONFIG_PATH}")
        return 2
    try:
        if args.command == "check":
            config = load_config(args.config)
            print(f"ok: {len(config.repos)} repo(s)")
            return 0
        return _serve(args.config)
    except ConfigError as exc:
        _LOG.error(str(exc))
        return 2
    except (GitGateError, OSError) as exc:
        _LOG.error(f"bb-gitgate failed: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
