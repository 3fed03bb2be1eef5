"""Specification of bb_egress.addons.safety: unsafe options, non-HTTP flows, the CA export."""

from pathlib import Path

import pytest
from mitmproxy import exceptions
from mitmproxy.addons.proxyserver import Proxyserver
from mitmproxy.test import taddons, tflow

from bb_egress.addons import CaExport, NonHttpGuard, SafeOptions


@pytest.mark.parametrize(
    ("option", "value"),
    [("stream_large_bodies", "1m"), ("rawtcp", True), ("connection_strategy", "eager")],
)
def test_an_unsafe_option_value_is_refused_naming_it(option: str, value: object) -> None:
    """The table is bb_egress.safe_options; the error names the option and the value."""
    addon = SafeOptions()
    with (
        taddons.context(Proxyserver(), addon) as tctx,
        pytest.raises(exceptions.OptionsError, match=option),
    ):
        tctx.configure(addon, **{option: value})


def test_safe_values_are_accepted() -> None:
    """The values bb-egress run sets pass."""
    addon = SafeOptions()
    with taddons.context(Proxyserver(), addon) as tctx:
        tctx.configure(addon, rawtcp=False, connection_strategy="lazy")


def test_raw_tcp_and_udp_flows_are_killed() -> None:
    """Only HTTP leaves."""
    guard = NonHttpGuard()
    tcp_flow, udp_flow = tflow.ttcpflow(), tflow.tudpflow()
    with taddons.context(guard):
        guard.tcp_start(tcp_flow)
        guard.udp_start(udp_flow)
    assert tcp_flow.error is not None
    assert udp_flow.error is not None


def test_the_ca_certificate_is_copied_world_readable_and_the_key_never(tmp_path: Path) -> None:
    """running copies mitmproxy-ca-cert.pem only, mode 0644."""
    confdir = tmp_path / "confdir"
    confdir.mkdir()
    (confdir / "mitmproxy-ca-cert.pem").write_text("CERT")
    (confdir / "mitmproxy-ca.pem").write_text("KEY AND CERT")
    target = tmp_path / "out" / "ca.pem"
    addon = CaExport(target)
    with taddons.context(addon) as tctx:
        tctx.options.update(confdir=str(confdir))
        addon.running()
    assert target.read_text() == "CERT"
    assert target.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["ca.pem"]


def test_no_target_means_nothing_is_exported() -> None:
    """Tests and benchmarks run without an export path."""
    addon = CaExport(None)
    with taddons.context(addon):
        addon.running()
