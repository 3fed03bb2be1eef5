"""bb doctor's address-pool check: how many more bottles the engine's networks allow."""

from __future__ import annotations

import pytest

from bb_cli.commands.doctor import DEFAULT_ADDRESS_POOLS, address_pool_room


def test_the_built_in_pools_hold_31_networks():
    """Without default-address-pools the engine has 15 /16 pools and 16 /20s in 192.168/16."""
    check = address_pool_room(None, 0)
    assert "0 of 31" not in check.detail
    assert "31 of 31 networks free" in check.detail
    assert len(DEFAULT_ADDRESS_POOLS) == 16


@pytest.mark.parametrize(
    ("in_use", "room", "ok"),
    [
        (1, 15, True),  # the default bridge only
        (21, 5, True),  # ten bottles running
        (29, 1, True),
        (30, 0, False),  # one network left: a bottle needs two
        (40, 0, False),  # more in use than the pools (explicit subnets): never negative
    ],
)
def test_room_counts_two_networks_per_bottle(in_use: int, room: int, ok: bool):
    """Each bottle takes an internal and an egress network."""
    check = address_pool_room([], in_use)
    assert f"room for {room} more bottle(s)" in check.detail
    assert check.ok is ok


def test_a_full_engine_says_how_to_add_pools():
    """The fix names daemon.json's default-address-pools, the only way to grow them."""
    check = address_pool_room(None, 31)
    assert not check.ok
    assert "default-address-pools" in check.fix


def test_configured_pools_are_used_instead_of_the_built_in_ones():
    """A 10.200.0.0/16 pool cut in /24s holds 256 networks: 128 bottles."""
    check = address_pool_room([("10.200.0.0/16", 24)], 0)
    assert "256 of 256 networks free: room for 128 more bottle(s)" in check.detail
    assert check.ok
