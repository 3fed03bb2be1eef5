"""Specification of bb_egress.destinations: only public unicast addresses are dialled."""

import ipaddress

import pytest

from bb_egress.destinations import DestinationPolicy, forbidden_reason


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12::1", "private"),
        ("169.254.169.254", "cloud metadata endpoint"),
        ("fd00:ec2::254", "cloud metadata endpoint"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "CGNAT"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("::ffff:127.0.0.1", "embeds 127.0.0.1 (loopback)"),
        ("64:ff9b::a00:1", "embeds 10.0.0.1 (private)"),
        ("2002:a00:1::", "embeds 10.0.0.1 (private)"),
        ("192.0.2.1", "private"),
    ],
)
def test_non_public_addresses_are_forbidden_with_a_named_reason(address: str, reason: str) -> None:
    """Loopback, private, metadata, link-local, CGNAT and embedded forms are all refused."""
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    "address", ["1.1.1.1", "140.82.112.3", "2606:4700::1111", "64:ff9b::101:101"]
)
def test_public_unicast_addresses_are_allowed(address: str) -> None:
    """Globally routable unicast addresses (and NAT64 of a public one) pass."""
    assert forbidden_reason(ipaddress.ip_address(address)) is None


def test_the_proxys_own_addresses_are_forbidden_even_if_public() -> None:
    """The proxy never dials itself."""
    own = ipaddress.ip_address("203.0.114.5")
    policy = DestinationPolicy(own_addresses=frozenset({own}))
    assert policy.reason(own) == "the proxy's own address"


def test_every_resolved_address_must_pass() -> None:
    """One private answer among public ones denies the name (no rebinding lottery)."""
    policy = DestinationPolicy()
    answers = [ipaddress.ip_address("1.1.1.1"), ipaddress.ip_address("10.0.0.1")]
    assert policy.check_all(answers) == "10.0.0.1 is private"


def test_extra_allowed_networks_open_only_what_they_name() -> None:
    """Test-only networks allow loopback but nothing else private."""
    policy = DestinationPolicy(extra_allowed=(ipaddress.ip_network("127.0.0.0/8"),))
    assert policy.reason(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.reason(ipaddress.ip_address("10.0.0.1")) == "private"


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "172.20.0.5", "192.168.1.9", "100.64.0.7", "fd12::1"]
)
def test_a_private_network_route_may_reach_private_addresses(address: str) -> None:
    """private_network opens RFC 1918, CGNAT and ULA for its route only."""
    policy = DestinationPolicy()
    ip = ipaddress.ip_address(address)
    assert policy.reason(ip) is not None
    assert policy.reason(ip, private_ok=True) is None


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "::1", "0.0.0.0"],
)
def test_a_private_network_route_never_reaches_loopback_link_local_or_metadata(
    address: str,
) -> None:
    """The operator's private setting does not open loopback, link-local or metadata."""
    assert DestinationPolicy().reason(ipaddress.ip_address(address), private_ok=True) is not None


def test_a_private_network_route_never_reaches_the_proxys_own_address() -> None:
    """Own addresses stay refused even for a private route (no self-SSRF)."""
    own = ipaddress.ip_address("10.9.0.2")
    policy = DestinationPolicy(own_addresses=frozenset({own}))
    assert policy.reason(own, private_ok=True) == "the proxy's own address"
