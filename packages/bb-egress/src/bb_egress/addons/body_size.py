"""The request body limit: declared lengths refused in ``requestheaders``, the rest while read.

mitmproxy's own ``body_size_limit`` also caps responses, which are streamed, so it is set
far higher; this addon declares the request-only limits (``bb_request_size_limit`` and
``bb_request_buffer_budget``) that `bb_egress.body_limit` enforces while a body is read,
refuses a declared Content-Length over the limit before the body is read, checks the
buffered size again in ``request`` (chunked uploads), and turns a refusal made while
reading into a ``body-too-large`` verdict for the audit log.
"""

from __future__ import annotations

from typing import Final

from mitmproxy import addonmanager, ctx, exceptions, http

from bb_egress import body_limit
from bb_egress.addons._flow import META_DENIED, META_VERDICT, Verdict, denial, deny, handled
from bb_egress.policy import body_too_large

__all__ = ["DEFAULT_REQUEST_SIZE_LIMIT", "REQUEST_BUFFER_STREAMS", "BodyLimit"]

DEFAULT_REQUEST_SIZE_LIMIT: Final = 32 * 1024 * 1024
"""Largest request body the proxy buffers, scans and forwards (bytes, as sent)."""

REQUEST_BUFFER_STREAMS: Final = 8
"""The proxy buffers at most this many full-size request bodies at once (all streams)."""


class BodyLimit:
    """Refuses (413) request bodies over ``bb_request_size_limit``."""

    def __init__(self, request_size_limit: int = DEFAULT_REQUEST_SIZE_LIMIT) -> None:
        self.request_size_limit = request_size_limit
        body_limit.install()

    def load(self, loader: addonmanager.Loader) -> None:
        """Declare the request limit that `bb_egress.body_limit` enforces while reading."""
        loader.add_option(
            body_limit.OPTION,
            int,
            self.request_size_limit,
            "Largest request body (bytes) buffered; refused as soon as more arrives.",
        )
        loader.add_option(
            body_limit.BUDGET_OPTION,
            int,
            REQUEST_BUFFER_STREAMS * self.request_size_limit,
            "Request bytes buffered by all streams together; a stream past it is refused.",
        )

    def configure(self, updated: set[str]) -> None:
        """Refuse a limit that would switch the check off (0 or negative)."""
        for name in (body_limit.OPTION, body_limit.BUDGET_OPTION):
            if name in updated and getattr(ctx.options, name) <= 0:
                raise exceptions.OptionsError(  # type: ignore[no-untyped-call]
                    f"bb-egress refuses {name}={getattr(ctx.options, name)!r}: must be positive"
                )
        if body_limit.OPTION in updated:
            self.request_size_limit = getattr(ctx.options, body_limit.OPTION)

    def too_large(self, flow: http.HTTPFlow, size: str | int) -> bool:
        """Refuse (413) ``flow`` when ``size`` is over the limit; True when refused."""
        problem = body_too_large(size, self.request_size_limit)
        if problem is not None:
            deny(flow, denial(flow, "body-too-large", problem))
        return problem is not None

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """A declared length over the limit is refused before the body is read."""
        if not handled(flow):
            self.too_large(flow, flow.request.headers.get("content-length", "0"))

    def request(self, flow: http.HTTPFlow) -> None:
        """The buffered body (a chunked upload declares no length) is checked again."""
        if not handled(flow):
            self.too_large(flow, len(flow.request.raw_content or b""))

    def error(self, flow: http.HTTPFlow) -> None:
        """Record a request body refused while it was read (`bb_egress.body_limit`)."""
        if body_limit.is_refusal(flow.error) and META_DENIED not in flow.metadata:
            flow.metadata[META_DENIED] = "body-too-large"
            flow.metadata[META_VERDICT] = Verdict(
                "deny", reason="body-too-large", host=flow.request.pretty_host
            )
