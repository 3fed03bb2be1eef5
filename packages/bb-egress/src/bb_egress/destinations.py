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
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "METADATA_ADDRESSES",
    "PRIVATE_NETWORKS",
    "DestinationPolicy",
    "IPAddress",
    "forbidden_reason",
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
