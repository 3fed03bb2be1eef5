"""`bb_egress.safe_options`: one table sets mitmproxy's options and refuses any other value."""

from __future__ import annotations

import pytest

from bb_egress.safe_options import ENFORCED_OPTIONS, SAFE_OPTIONS, unsafe_option


@pytest.mark.parametrize("name", sorted(ENFORCED_OPTIONS))
def test_every_enforced_option_is_set_to_its_safe_value(name: str) -> None:
    """What `bb-egress run` sets is exactly what the addon accepts."""
    assert SAFE_OPTIONS[name] == ENFORCED_OPTIONS[name][0]
    assert unsafe_option(name, SAFE_OPTIONS[name]) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("stream_large_bodies", "1m"),
        ("rawtcp", True),
        ("ignore_hosts", ["example.com"]),
        ("ignore_hosts", ("example.com",)),
        ("allow_hosts", ["example.com"]),
        ("connection_strategy", "eager"),
        ("ssl_insecure", True),
        ("validate_inbound_headers", False),
        ("mode", ["transparent"]),
        ("mode", ["regular", "socks5"]),
        ("http3", True),
    ],
)
def test_any_other_value_of_an_enforced_option_is_unsafe_with_a_reason(
    name: str, value: object
) -> None:
    """The reason names what the value would let through."""
    assert unsafe_option(name, value) == ENFORCED_OPTIONS[name][1]


@pytest.mark.parametrize(("name", "value"), [("ignore_hosts", ()), ("mode", ("regular",))])
def test_a_sequence_option_compares_by_its_items(name: str, value: object) -> None:
    """An empty tuple is as safe as the empty list mitmproxy holds."""
    assert unsafe_option(name, value) is None


def test_options_outside_the_table_are_never_refused() -> None:
    """Display and timeout settings are set by `bb-egress run` but not enforced."""
    assert unsafe_option("termlog_verbosity", "debug") is None
    assert unsafe_option("body_size_limit", "1g") is None


def test_the_safe_options_include_the_display_settings_bb_egress_run_has_always_set() -> None:
    """Onboarding off, a bounded TCP timeout and quiet logs, as before."""
    assert SAFE_OPTIONS["onboarding"] is False
    assert SAFE_OPTIONS["tcp_timeout"] == 120
    assert SAFE_OPTIONS["termlog_verbosity"] == "warn"
