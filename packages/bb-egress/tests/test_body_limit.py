"""The request-body refusal wrapped around mitmproxy's HTTP layer (`bb_egress.body_limit`).

Its behaviour on the wire (HTTP/1 chunked, HTTP/2, the shared budget) is tested through a
real proxy in ``tests/integration/egress/test_proxy_body_limit.py``; these pin the seams.
"""

from __future__ import annotations

from mitmproxy import flow
from mitmproxy.proxy.layers import http as http_layer

from bb_egress import body_limit


def test_install_wraps_mitmproxys_check_once() -> None:
    """Installing twice (one addon per test proxy) never stacks wrappers."""
    body_limit.install()
    first = http_layer.HttpStream.check_body_size
    body_limit.install()
    assert http_layer.HttpStream.check_body_size is first


def test_only_its_own_refusals_are_recognised() -> None:
    """The addon audits body-too-large for these errors and no others."""
    assert body_limit.is_refusal(flow.Error(f"{body_limit.REFUSAL} (5 bytes read; limit 4)"))
    assert not body_limit.is_refusal(
        flow.Error("Request body exceeds mitmproxy's body_size_limit.")
    )
    assert not body_limit.is_refusal(None)
