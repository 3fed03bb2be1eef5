"""Responses: streamed to the agent, and scrubbed of a credential the proxy injected.

Event streams, unknown lengths and large bodies stream (`STREAM_ABOVE`); small ones are
cheaper buffered. On a credential-injecting route an echoed credential is scrubbed from
headers and body (`bb_egress.responses`); a body that cannot be decoded to check it is
withheld (502).
"""

from __future__ import annotations

from typing import Final

from mitmproxy import http

from bb_egress.responses import META_INJECTED, Scrubber, scrub_body, scrub_headers

__all__ = ["STREAM_ABOVE", "ResponseScrubber", "worth_streaming"]

STREAM_ABOVE: Final = 1024 * 1024
"""Responses declaring more bytes than this (or no length) are streamed to the agent."""


def worth_streaming(response: http.Response) -> bool:
    """Event streams, unknown lengths and large bodies; small ones are cheaper buffered."""
    if "text/event-stream" in response.headers.get("content-type", ""):
        return True
    try:
        return int(response.headers.get("content-length", "")) > STREAM_ABOVE
    except ValueError:
        return True


class ResponseScrubber:
    """Streams large responses; scrubs injected credentials from every response.

    No already-handled guard: a response is what this addon works on, and scrubbing the
    proxy's own 403 as well costs nothing and can only remove a credential.
    """

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream responses (see `bb_egress.responses`); scrub injected credentials first."""
        response = flow.response
        if response is None or response.status_code == 101:
            return
        values = flow.metadata.get(META_INJECTED)
        if values:
            cleaned = scrub_headers(response.headers, values)
            if cleaned is not None:
                response.headers = cleaned
        if not worth_streaming(response):
            return  # small: buffered, and scrubbed in `response` if need be
        if not values:
            response.stream = True
        elif response.headers.get("content-encoding", "identity").strip().lower() in {
            "",
            "identity",
        }:
            response.stream = Scrubber(values)
        # else: buffered; `response` decodes and scrubs it

    def response(self, flow: http.HTTPFlow) -> None:
        """Scrub a buffered response on a credential-injecting route, or withhold it."""
        response = flow.response
        values = flow.metadata.get(META_INJECTED)
        if response is None or not values or response.stream:
            return
        cleaned = scrub_headers(response.headers, values)
        if cleaned is not None:
            response.headers = cleaned
        if not scrub_body(response, values):
            flow.response = http.Response.make(
                502,
                b"bot-bottle egress proxy: the response could not be decoded to check it for"
                b" the route's credential, so it was withheld.\n",
                {
                    "Content-Type": "text/plain; charset=utf-8",
                    "X-Bot-Bottle-Denied": "body-invalid",
                },
            )
