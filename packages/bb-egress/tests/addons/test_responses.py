"""Specification of bb_egress.addons.responses: what streams, what is scrubbed or withheld."""

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow

from bb_egress.addons import STREAM_ABOVE, ResponseScrubber
from bb_egress.addons.responses import worth_streaming
from bb_egress.responses import META_INJECTED


@pytest.mark.parametrize(
    ("headers", "streams"),
    [
        ({"content-length": str(STREAM_ABOVE + 1)}, True),
        ({"content-length": str(STREAM_ABOVE)}, False),
        ({}, True),
        ({"content-length": "10", "content-type": "text/event-stream"}, True),
    ],
)
def test_large_unsized_and_event_stream_responses_are_worth_streaming(
    headers: dict[str, str], streams: bool
) -> None:
    """Small sized bodies are cheaper buffered."""
    response = http.Response.make(200, b"")
    del response.headers["content-length"]
    response.headers.update(headers)
    assert worth_streaming(response) is streams


def test_a_buffered_body_that_cannot_be_checked_for_the_credential_is_withheld() -> None:
    """On an injecting route an undecodable body becomes a 502 body-invalid."""
    addon = ResponseScrubber()
    flow = tflow.tflow(resp=True)
    assert flow.response is not None
    flow.response.headers["Content-Encoding"] = "gzip"
    flow.response.raw_content = b"not gzip"
    flow.metadata[META_INJECTED] = ("secret-value",)
    with taddons.context(addon):
        addon.response(flow)
    assert flow.response.status_code == 502
    assert flow.response.headers["X-Bot-Bottle-Denied"] == "body-invalid"


def test_an_echoed_credential_is_scrubbed_from_a_buffered_body() -> None:
    """The injected value never reaches the agent."""
    addon = ResponseScrubber()
    flow = tflow.tflow(resp=True)
    assert flow.response is not None
    flow.response.content = b"your token is secret-value"
    flow.metadata[META_INJECTED] = ("secret-value",)
    with taddons.context(addon):
        addon.response(flow)
    assert b"secret-value" not in (flow.response.content or b"")
