"""Specification of bb_egress.destinations: only public unicast addresses are dialled.

Vetting (resolve, check, cache, pin) gets an injected clock and resolver, so the TTL is
tested without waiting and every lookup is counted.
"""

import ipaddress

import pytest

from bb_egress.destinations import (
    DestinationPolicy,
    IPAddress,
    Pins,
    Vetter,
    forbidden_reason,
    static_resolver,
)
from bb_egress.policy import Denied


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


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Answers:
    """A resolver answering from a mutable table and counting lookups."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups = 0

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.lookups += 1
        if host not in self.table:
            raise OSError("no such host")
        return [ipaddress.ip_address(a) for a in self.table[host]]


PUBLIC = "93.184.215.14"


@pytest.mark.anyio
async def test_a_public_answer_is_vetted_and_normalised() -> None:
    """The host comes back normalised with the first checked address."""
    vetter = Vetter(DestinationPolicy(), Answers({"api.example.com": [PUBLIC]}))
    assert await vetter.vet("API.Example.com.", 443) == ("api.example.com", PUBLIC)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ([], "forbidden-destination"),
        (["10.0.0.1"], "forbidden-destination"),
        ([PUBLIC, "127.0.0.1"], "forbidden-destination"),
        (None, "resolution-failed"),
    ],
)
async def test_an_answer_that_is_empty_private_mixed_or_missing_is_denied(
    answer: list[str] | None, reason: str
) -> None:
    """Every address must pass; no answer is a resolution failure naming the host."""
    table = {} if answer is None else {"api.example.com": answer}
    denied = await Vetter(DestinationPolicy(), Answers(table)).vet("api.example.com", 443)
    assert isinstance(denied, Denied)
    assert (denied.reason, denied.host, denied.port) == (reason, "api.example.com", 443)


@pytest.mark.anyio
async def test_a_checked_answer_is_reused_until_its_ttl_ends_even_if_dns_rebinds() -> None:
    """Within the TTL the checked address is dialled (a rebinding changes nothing); after
    it the name is resolved and checked again, and the private answer is refused."""
    clock = Clock()
    answers = Answers({"api.example.com": [PUBLIC]})
    vetter = Vetter(DestinationPolicy(), answers, clock=clock, ttl=30.0)
    assert await vetter.vet("api.example.com", 443) == ("api.example.com", PUBLIC)
    answers.table["api.example.com"] = ["10.0.0.1"]
    clock.now += 29.9
    assert await vetter.vet("api.example.com", 443) == ("api.example.com", PUBLIC)
    assert answers.lookups == 1
    clock.now += 0.2
    denied = await vetter.vet("api.example.com", 443)
    assert isinstance(denied, Denied)
    assert denied.reason == "forbidden-destination"
    assert answers.lookups == 2


@pytest.mark.anyio
async def test_a_private_network_answer_is_cached_apart_from_the_public_one() -> None:
    """A private_network route's vetting never serves a route without it."""
    answers = Answers({"llm.corp.example": ["10.20.30.40"]})
    vetter = Vetter(DestinationPolicy(), answers)
    assert await vetter.vet("llm.corp.example", 443, private_ok=True) == (
        "llm.corp.example",
        "10.20.30.40",
    )
    assert isinstance(await vetter.vet("llm.corp.example", 443), Denied)


@pytest.mark.anyio
async def test_a_full_cache_is_emptied_and_refilled() -> None:
    """Memory is bounded: past max_entries the cache starts over (pins are elsewhere)."""
    answers = Answers({f"h{i}.example": [PUBLIC] for i in range(3)})
    vetter = Vetter(DestinationPolicy(), answers, max_entries=2)
    for i in range(3):
        await vetter.vet(f"h{i}.example", 443)
    await vetter.vet("h0.example", 443)
    assert answers.lookups == 4


@pytest.mark.anyio
async def test_the_static_resolver_answers_only_from_its_table() -> None:
    """Names outside the table fail like a missing DNS record."""
    resolve = static_resolver({"Origin.Test.": "127.0.0.1"})
    assert await resolve("origin.test", 80) == [ipaddress.ip_address("127.0.0.1")]
    with pytest.raises(OSError, match=r"other\.test"):
        await resolve("other.test", 80)


def test_pins_are_per_client_and_dropped_with_it() -> None:
    """Two clients may pin one address for different names; a closed client's pins go."""
    pins = Pins()
    pins.pin("c1", PUBLIC, 443, "api.example.com")
    pins.pin("c2", PUBLIC, 443, "files.example.com")
    assert pins.host("c1", PUBLIC, 443) == "api.example.com"
    assert pins.host("c2", PUBLIC, 443) == "files.example.com"
    assert pins.host("c1", PUBLIC, 8443) is None
    pins.forget("c1")
    assert pins.host("c1", PUBLIC, 443) is None
    assert pins.host("c2", PUBLIC, 443) == "files.example.com"
    assert len(pins) == 1
