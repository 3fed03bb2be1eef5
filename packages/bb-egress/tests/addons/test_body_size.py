"""Specification of bb_egress.addons.body_size: the request limit, its options, its audit."""

import pytest
from mitmproxy import exceptions, http
from mitmproxy import flow as mflow
from mitmproxy.test import taddons, tflow, tutils

from bb_egress import body_limit
from bb_egress.addons import META_DENIED, META_VERDICT, BodyLimit


def _request(content: bytes = b"") -> http.HTTPFlow:
    return tflow.tflow(
        req=tutils.treq(host="api.example.com", port=443, scheme=b"https", content=content)
    )


def test_the_limits_are_mitmproxy_options_with_the_bb_prefix() -> None:
    """bb_request_size_limit defaults to the constructor's limit; the budget to 8 of them."""
    addon = BodyLimit(1000)
    with taddons.context(addon) as tctx:
        assert getattr(tctx.options, body_limit.OPTION) == 1000
        assert getattr(tctx.options, body_limit.BUDGET_OPTION) == 8000


@pytest.mark.parametrize("option", [body_limit.OPTION, body_limit.BUDGET_OPTION])
@pytest.mark.parametrize("value", [0, -1])
def test_a_limit_that_would_switch_the_check_off_is_refused(option: str, value: int) -> None:
    """0 means no limit to the reading check: refused in configure."""
    addon = BodyLimit(1000)
    with (
        taddons.context(addon) as tctx,
        pytest.raises(exceptions.OptionsError, match=option),
    ):
        tctx.configure(addon, **{option: value})


def test_a_new_limit_applies_to_the_declared_length_check_too() -> None:
    """Setting the option changes what requestheaders refuses."""
    addon = BodyLimit(1000)
    flow = _request()
    flow.request.headers["content-length"] = "600"
    with taddons.context(addon) as tctx:
        tctx.configure(addon, **{body_limit.OPTION: 500})
        addon.requestheaders(flow)
    assert flow.response is not None
    assert flow.response.status_code == 413


def test_a_chunked_body_over_the_limit_is_refused_in_request() -> None:
    """No declared length: the buffered size is checked before the scan."""
    addon = BodyLimit(10)
    flow = _request(b"x" * 11)
    del flow.request.headers["content-length"]
    with taddons.context(addon):
        addon.requestheaders(flow)
        assert flow.response is None
        addon.request(flow)
    assert flow.response is not None
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "body-too-large"


def test_a_body_refused_while_read_leaves_a_verdict_for_the_audit() -> None:
    """The error hook turns the reading refusal into body-too-large (once)."""
    addon = BodyLimit(10)
    flow = _request()
    flow.error = mflow.Error(f"{body_limit.REFUSAL} (11 bytes read; limit 10)")
    with taddons.context(addon):
        addon.error(flow)
    assert flow.metadata[META_DENIED] == "body-too-large"
    assert flow.metadata[META_VERDICT].reason == "body-too-large"
