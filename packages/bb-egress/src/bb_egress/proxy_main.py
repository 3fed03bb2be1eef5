"""``bb-egress run``: start mitmproxy in-process with the egress addons and safe options.

Everything the container needs comes from flags, each defaulting to its environment
variable (names in `bb_protocol.envvars`), so the image runs ``bb-egress run`` bare:

* proxy on ``--listen-host``/``--listen-port`` (0.0.0.0:8080);
* routes from ``--routes-file`` (``$BOT_BOTTLE_ROUTES_FILE``), live-reloaded;
* audit lines to ``--audit-log`` (``$BOT_BOTTLE_AUDIT_LOG``);
* the CA in ``--confdir`` (/var/lib/bot-bottle/mitmproxy), its public certificate copied to
  ``--ca-cert-export`` (``$BOT_BOTTLE_EGRESS_CA_CERT``);
* the routes endpoint on ``--introspection-listen`` (``$BOT_BOTTLE_EGRESS_INTROSPECTION_LISTEN``)
  guarded by ``$BOT_BOTTLE_EGRESS_INTROSPECTION_TOKEN``.

``--resolve`` and ``--allow-destination`` exist for loopback tests and benchmarks only;
they print a warning because they weaken the destination checks.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from mitmproxy import exceptions, options
from mitmproxy.tools.dump import DumpMaster
from mitmproxy.utils import human
from mitmproxy.version import VERSION as MITMPROXY_VERSION

from bb_dlp import DlpConfig, DlpError
from bb_egress.addons import egress_addons
from bb_egress.addons.chain import EgressChain
from bb_egress.audit import AuditLog, AuditRecord
from bb_egress.destinations import (
    DestinationPolicy,
    IPAddress,
    static_resolver,
    system_resolver,
)
from bb_egress.introspection import IntrospectionServer
from bb_egress.outbound import OutboundScanner
from bb_egress.queue_channel import queue_channel_from_environ
from bb_egress.reload import RoutesStore
from bb_egress.safe_options import SAFE_OPTIONS
from bb_egress.token_approval import (
    ApprovalChannel,
    DisabledChannel,
    TokenApprover,
    TokenProposal,
)
from bb_protocol import envvars, layout
from bb_protocol.logging import get_logger
from bb_protocol.queue import QueueError

__all__ = ["StartupError", "build_parser", "main", "serve"]

DEFAULT_CONFDIR: Final = layout.EGRESS_CONFDIR
_log = get_logger("bb-egress")


def _env_path(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name, "").strip()
    return Path(value) if value else None


def held_recorder(audit: AuditLog) -> Callable[[TokenProposal], None]:
    """The approver's ``on_hold``: a ``held`` audit line (detector names, never the value)."""

    def record(proposal: TokenProposal) -> None:
        audit.write(
            AuditRecord(
                bottle=proposal.bottle,
                method=proposal.method,
                host=proposal.host,
                port=proposal.port,
                path=proposal.path,
                decision="held",
                reason="dlp-supervise",
                detectors=proposal.detectors,
            )
        )

    return record


def build_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    """The ``bb-egress run`` argument parser, defaults taken from ``environ``."""
    p = argparse.ArgumentParser(prog="bb-egress run", description=__doc__.split("\n", 1)[0])
    p.add_argument("--listen-host", default=layout.LISTEN_ALL)
    p.add_argument("--listen-port", type=int, default=layout.EGRESS_PORT)
    p.add_argument("--routes-file", type=Path, default=_env_path(environ, envvars.ROUTES_FILE))
    p.add_argument("--audit-log", type=Path, default=_env_path(environ, envvars.AUDIT_LOG))
    p.add_argument("--confdir", default=DEFAULT_CONFDIR)
    p.add_argument(
        "--ca-cert-export", type=Path, default=_env_path(environ, envvars.EGRESS_CA_CERT_EXPORT)
    )
    p.add_argument(
        "--introspection-listen",
        default=environ.get(envvars.EGRESS_INTROSPECTION_LISTEN, ""),
        help="host:port for the routes endpoint; empty disables it",
    )
    p.add_argument(
        "--request-size-limit",
        default="32m",
        help="largest request body buffered, scanned and forwarded; refused (413) as soon as "
        "more arrives, while it is read (bb_egress.body_limit)",
    )
    p.add_argument(
        "--body-size-limit",
        default="4g",
        help="mitmproxy's cap on any body; responses are streamed, so this bounds downloads "
        "(request bodies never get near it: see --request-size-limit)",
    )
    p.add_argument("--bottle", default=environ.get(envvars.BOTTLE_SLUG, "unknown"))
    p.add_argument("--upstream-ca", default=None, help="extra CA bundle trusted upstream (tests)")
    p.add_argument("--resolve", action="append", default=[], metavar="HOST=IP")
    p.add_argument("--allow-destination", action="append", default=[], metavar="CIDR")
    p.add_argument("--reload-interval", type=float, default=1.0)
    return p


def _own_addresses(listen_host: str) -> frozenset[IPAddress]:
    found: set[IPAddress] = set()
    for name in {socket.gethostname(), listen_host}:
        try:
            for info in socket.getaddrinfo(name, None):
                found.add(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
        except (OSError, ValueError):
            continue
    # Loopback is refused by classification anyway; leaving it out lets a test-only
    # --allow-destination open exactly one loopback origin.
    return frozenset(a for a in found if not a.is_unspecified and not a.is_loopback)


def _timeout(environ: Mapping[str, str]) -> float:
    raw = environ.get(envvars.EGRESS_TOKEN_ALLOW_TIMEOUT, "300")
    try:
        value = float(raw)
    except ValueError:
        _log.warn(f"{envvars.EGRESS_TOKEN_ALLOW_TIMEOUT}={raw!r} is not a number; using 300")
        return 300.0
    return value if value > 0 else 300.0


def _approval_channel(environ: Mapping[str, str]) -> ApprovalChannel:
    if environ.get(envvars.SUPERVISE_ENABLED, "1").strip() == "0":
        return DisabledChannel()
    channel = queue_channel_from_environ(environ)
    if channel is None:
        _log.warn(
            f"{envvars.QUEUE_DIR} or {envvars.APPROVAL_KEY_FILE} unset:"
            " secret-bearing requests on supervise routes are refused"
        )
        return DisabledChannel()
    channel.recover()
    return channel


class StartupError(ValueError):
    """A flag or environment value makes the proxy unsafe or impossible to start."""


def _parse_resolve(items: Sequence[str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for item in items:
        name, sep, address = item.partition("=")
        if not sep or not name or not address:
            raise StartupError(f"--resolve {item!r}: expected HOST=IP")
        try:
            ipaddress.ip_address(address)
        except ValueError as exc:
            raise StartupError(f"--resolve {item!r}: {exc}") from None
        table[name] = address
    return table


def _parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise StartupError(f"--introspection-listen {text!r}: expected HOST:PORT")
    return host.strip("[]"), int(port)


def _build(
    args: argparse.Namespace, environ: Mapping[str, str]
) -> tuple[DumpMaster, RoutesStore, IntrospectionServer | None]:
    """Everything `serve` runs, validated; raises `StartupError` naming the bad input."""
    if tuple(int(x) for x in MITMPROXY_VERSION.split(".")[:2]) < (12, 3):
        raise StartupError(f"mitmproxy {MITMPROXY_VERSION} is too old; bb-egress needs >= 12.3")
    try:
        extra = tuple(ipaddress.ip_network(c, strict=False) for c in args.allow_destination)
    except ValueError as exc:
        raise StartupError(f"--allow-destination: {exc}") from None
    table = _parse_resolve(args.resolve)
    sizes: dict[str, int] = {}
    for flag in ("body_size_limit", "request_size_limit"):
        try:
            parsed = human.parse_size(getattr(args, flag))
        except ValueError as exc:
            parsed = None
            reason = str(exc)
        else:
            reason = "must be a positive size"
        if not parsed or parsed <= 0:
            raise StartupError(f"--{flag.replace('_', '-')} {getattr(args, flag)!r}: {reason}")
        sizes[flag] = parsed
    listen = _parse_listen(args.introspection_listen) if args.introspection_listen else None
    try:
        dlp_config = DlpConfig.from_environ(environ)
    except DlpError as exc:
        raise StartupError(f"DLP configuration: {exc}") from None
    for warning in dlp_config.warnings:
        _log.warn(f"dlp: {warning}")
    catalogue = dlp_config.matchers.catalogue
    if catalogue is not None:
        # "loaded" in a built image (its baked cache); anything else means a slow start.
        _log.info(
            "dlp: token rules ready",
            {
                "rules": len(catalogue),
                "confidence": catalogue.confidence,
                "cache": catalogue.cache_status,
            },
        )
    if extra or table:
        _log.warn(
            "test-only destination overrides in force",
            {"allow": ",".join(args.allow_destination), "resolve": ",".join(args.resolve)},
        )
    try:
        channel = _approval_channel(environ)
    except (QueueError, OSError) as exc:
        raise StartupError(f"approval queue: {exc}") from None
    store = RoutesStore(args.routes_file)
    audit = AuditLog(args.audit_log, observe=environ.get(envvars.EGRESS_OBSERVE) == "1")
    approver = TokenApprover(channel, _timeout(environ), on_hold=held_recorder(audit))
    addons = egress_addons(
        store=store,
        scanner=OutboundScanner(dlp_config, approver, environ),
        audit=audit,
        bottle=args.bottle,
        destinations=DestinationPolicy(_own_addresses(args.listen_host), extra),
        resolver=static_resolver(table) if table else system_resolver,
        ca_cert_export=args.ca_cert_export,
        request_size_limit=sizes["request_size_limit"],
    )
    opts = options.Options(listen_host=args.listen_host, listen_port=args.listen_port)
    master = DumpMaster(opts, with_termlog=True, with_dumper=False)
    # One registered addon: mitmproxy's per-addon dispatch would cost more than the checks.
    master.addons.add(EgressChain(addons))  # type: ignore[no-untyped-call]
    updates: dict[str, object] = {
        **SAFE_OPTIONS,
        "confdir": args.confdir,
        "body_size_limit": args.body_size_limit,
    }
    if args.upstream_ca:
        updates["ssl_verify_upstream_trusted_ca"] = args.upstream_ca
    try:
        opts.update(**updates)  # type: ignore[no-untyped-call]
    except exceptions.OptionsError as exc:
        raise StartupError(str(exc)) from None
    intro = None
    if listen is not None:
        token = environ.get(envvars.EGRESS_INTROSPECTION_TOKEN)
        if not token:
            _log.warn(
                f"{envvars.EGRESS_INTROSPECTION_TOKEN} unset: /routes is refused, /healthz only"
            )
        intro = IntrospectionServer(store, token, *listen)
    return master, store, intro


async def serve(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Run the proxy until it is stopped; the exit status (2: refused to start)."""
    try:
        master, store, intro = _build(args, environ)
    except StartupError as exc:
        _log.error(f"bb-egress cannot start: {exc}")
        return 2
    watcher = asyncio.create_task(store.watch(args.reload_interval))
    try:
        if intro is not None:
            await intro.start()
        _log.info(
            "egress proxy starting",
            {
                "listen": f"{args.listen_host}:{args.listen_port}",
                "routes": len(store.routes.routes),
                "bottle": args.bottle,
            },
        )
        await master.run()
    finally:
        watcher.cancel()
        if intro is not None:
            await intro.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``bb-egress run``."""
    environ = dict(os.environ)
    args = build_parser(environ).parse_args(argv)
    try:
        return asyncio.run(serve(args, environ))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
