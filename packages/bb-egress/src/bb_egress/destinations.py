"""Which IP addresses the proxy may dial: only public unicast, never its own.

Why a separate pure module: the proxy resolves every allowed name itself in
``server_connect`` and pins the connection to an address checked here, so DNS rebinding
cannot turn an allowed name into a private address between the check and the dial.

Forbidden: loopback, private (RFC 1918, ULA), link-local (which holds the cloud metadata
endpoints 169.254.169.254 and fd00:ec2::254 falls in ULA), CGNAT 100.64/10, multicast,
unspecified, reserved, documentation ranges, and any IPv6 form that embeds such an IPv4
address (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo). Tests may widen the
set with explicit ``extra_allowed`` networks; production never does. A route the operator
marked ``private_network`` may also reach `PRIVATE_NETWORKS` (``bb_protocol.routes``).

Vetting (`Vetter`) resolves an allowed name with an injected resolver, checks every
address and caches the answer for `RESOLVE_TTL` seconds of an injected clock; `Pins`
remembers, per client connection, which host name each vetted address was vetted for, so
``server_connect`` dials only those and with the right SNI. Neither imports mitmproxy.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from bb_egress.policy import Denied
from bb_protocol.logging import get_logger
from bb_protocol.routes import normalise_host

__all__ = [
    "METADATA_ADDRESSES",
    "PRIVATE_NETWORKS",
    "RESOLVE_TTL",
    "DestinationPolicy",
    "IPAddress",
    "Pins",
    "Resolver",
    "Vetter",
    "forbidden_reason",
    "static_resolver",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES: Final = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("169.254.170.2"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)
"""Cloud metadata endpoints, named so that denials say so."""

PRIVATE_NETWORKS: Final = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
"""What a ``private_network: true`` route may reach: RFC 1918, CGNAT and IPv6 ULA only."""

_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be dialled, or `None` when it is public unicast."""
    if address in METADATA_ADDRESSES:
        return "cloud metadata endpoint"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = forbidden_reason(embedded)
            if inner is not None:
                return f"embeds {embedded} ({inner})"
            if address.teredo is not None or address.sixtofour is not None:
                return "IPv6 transition address (6to4/Teredo)"
            return None
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_loopback, "loopback"),
        (address.is_unspecified, "unspecified"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT, "CGNAT"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "not globally routable"),
    )
    for failed, reason in checks:
        if failed:
            return reason
    return None


@dataclass(frozen=True)
class DestinationPolicy:
    """Address checks in force: the proxy's own addresses plus test-only allowed networks."""

    own_addresses: frozenset[IPAddress] = frozenset()
    """The proxy's own interface addresses; never dialled (no loops, no self-SSRF)."""

    extra_allowed: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(default=())
    """Networks allowed despite being non-public. For tests on loopback only."""

    def reason(self, address: IPAddress, *, private_ok: bool = False) -> str | None:
        """Why ``address`` is forbidden, or `None` when the proxy may dial it.

        ``private_ok`` (a route with the operator-only ``private_network``) also allows
        `PRIVATE_NETWORKS`; loopback, link-local, metadata and own addresses stay refused.
        """
        if address in self.own_addresses:
            return "the proxy's own address"
        if any(address in net for net in self.extra_allowed):
            return None
        private = any(address in net for net in PRIVATE_NETWORKS)
        if private_ok and private and address not in METADATA_ADDRESSES:
            return None
        return forbidden_reason(address)

    def check_all(self, addresses: Iterable[IPAddress], *, private_ok: bool = False) -> str | None:
        """The first reason any of ``addresses`` is forbidden (all must pass), or `None`."""
        for address in addresses:
            why = self.reason(address, private_ok=private_ok)
            if why is not None:
                return f"{address} is {why}" if not why.startswith("embeds") else f"{address} {why}"
        return None


Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
"""Turns a host name into the addresses to check and dial."""

Clock = Callable[[], float]
"""Monotonic seconds; injected so cache expiry is tested without waiting."""

RESOLVE_TTL: Final = 30.0
"""Seconds a checked DNS answer is reused (connections to it stay pinned regardless)."""

CACHE_MAX: Final = 4096
"""Cached answers kept; the cache is emptied when full (pins live in `Pins`)."""

_log = get_logger("bb-egress.destinations")


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Resolve with the system resolver (off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def static_resolver(table: Mapping[str, str]) -> Resolver:
    """A resolver answering only from ``table`` (host -> address); for loopback tests."""
    fixed = {normalise_host(k): ipaddress.ip_address(v) for k, v in table.items()}

    async def resolve(host: str, port: int) -> list[IPAddress]:
        try:
            return [fixed[host]]
        except KeyError:
            raise OSError(f"{host} is not in the static resolver table") from None

    return resolve


class Vetter:
    """Resolves an allowed name and checks every address; answers cached for a TTL.

    A cached answer was checked when it was stored, so a rebinding during the TTL changes
    nothing: the proxy keeps dialling the address it checked.
    """

    def __init__(
        self,
        policy: DestinationPolicy,
        resolver: Resolver,
        *,
        clock: Clock = time.monotonic,
        ttl: float = RESOLVE_TTL,
        max_entries: int = CACHE_MAX,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self._clock = clock
        self._ttl = ttl
        self._max = max_entries
        self._cache: dict[tuple[str, int, bool], tuple[float, str]] = {}

    async def vet(
        self, raw_host: str, port: int, *, private_ok: bool = False
    ) -> tuple[str, str] | Denied:
        """``(host, ip)`` to dial for an allowed name, or the denial saying why not."""
        host = normalise_host(raw_host)
        now = self._clock()
        cached = self._cache.get((host, port, private_ok))
        if cached is not None and cached[0] > now:
            return host, cached[1]
        try:
            addresses = await self.resolver(host, port)
        except OSError as exc:
            return Denied("resolution-failed", f"cannot resolve {host}: {exc}", host, port)
        why: str | None = "no addresses"
        if addresses:
            why = self.policy.check_all(addresses, private_ok=private_ok)
        if why is not None:
            _log.warn("destination refused", {"host": host, "why": why})
            return Denied("forbidden-destination", f"{host} resolves to {why}", host, port)
        ip = str(addresses[0])
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[(host, port, private_ok)] = (now + self._ttl, ip)
        return host, ip


class Pins:
    """(client id, ip, port) -> the host name that address was vetted for.

    Keyed per client connection: several allowed names may share one address (a CDN),
    and each connection must be dialled with the SNI of its own request's host (escape
    case L06). Dropped with the client connection.
    """

    def __init__(self) -> None:
        self._pins: dict[tuple[str, str, int], str] = {}

    def pin(self, client: str, ip: str, port: int, host: str) -> None:
        """Remember that ``client`` may dial ``ip:port`` as ``host``."""
        self._pins[(client, ip, port)] = host

    def host(self, client: str, ip: str, port: int) -> str | None:
        """The host ``client`` vetted ``ip:port`` for, or `None` when nobody did."""
        return self._pins.get((client, ip, port))

    def forget(self, client: str) -> None:
        """Drop every pin of a closed client connection."""
        for key in [k for k in self._pins if k[0] == client]:
            del self._pins[key]

    def __len__(self) -> int:
        return len(self._pins)
