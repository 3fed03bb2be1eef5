"""Refuse a request body the moment it passes the request size limit, while it is read.

Why this exists: mitmproxy has one ``body_size_limit`` for requests and responses alike.
Responses must be allowed to be large (they are streamed to the agent), so that option is
set high (4 GiB), and a request body sent without a declared length (HTTP/1 chunked, HTTP/2
DATA frames without ``content-length``) used to be buffered up to it before the addon's
``request`` hook could refuse it: two such uploads grew the egress container by 4.7 GiB.

Requests cannot simply be streamed instead: the DLP must see every byte that is forwarded
and the route's credential is injected only after the scan, so nothing may go upstream
before the whole body is buffered. The answer is to refuse early: mitmproxy's HTTP layer
calls ``HttpStream.check_body_size(True)`` after every chunk it appends to the request
buffer (HTTP/1 and HTTP/2 alike). `install` wraps that method so that, once the buffer
passes the ``bb_request_size_limit`` option (declared by `bb_egress.addons.BodyLimit`), the
stream fails exactly as mitmproxy's own limit fails it: the buffer is dropped, the
``error`` hook runs (the addon audits ``body-too-large``), the client gets a 413 (HTTP/1) or
a stream reset carrying it (HTTP/2), and every later chunk is discarded unread into memory.

Concurrency: many uploads just under the limit at once (one HTTP/2 connection carries a
hundred streams) would still add up. The bytes buffered by all streams of the proxy are
also bounded, by ``bb_request_buffer_budget``: a chunk that would take the total past it
fails its own stream the same way, so the proxy's memory for request bodies stays bounded
however many the agent opens.

Declared lengths over the limit never get here: the addon's ``requestheaders`` refuses them
before the body is read. The wrapper only ever adds a refusal; everything else goes to
mitmproxy's own check. `tests` drive it through a real proxy over HTTP/1 and HTTP/2.
"""

from __future__ import annotations

import weakref
from collections.abc import Generator
from typing import Any, Final

from mitmproxy import flow as mflow
from mitmproxy.proxy.layers import http as http_layer
from mitmproxy.proxy.layers.http._events import ErrorCode, ResponseProtocolError
from mitmproxy.proxy.layers.http._hooks import HttpErrorHook

__all__ = ["BUDGET_OPTION", "OPTION", "REFUSAL", "install", "is_refusal"]

OPTION: Final = "bb_request_size_limit"
"""The mitmproxy option holding the request body limit in bytes (0: no extra limit)."""

BUDGET_OPTION: Final = "bb_request_buffer_budget"
"""The mitmproxy option bounding the request bytes buffered by all streams together."""

REFUSAL: Final = "bb-egress: request body exceeds the request size limit"
"""The flow error message of a body refused while it was read."""

_MARK: Final = "_bb_request_limit"


def is_refusal(error: mflow.Error | None) -> bool:
    """True when ``error`` is a refusal made by the installed check."""
    return error is not None and error.msg.startswith(REFUSAL)


def _buffering(options: Any) -> weakref.WeakSet[Any]:
    """The streams of one proxy (one options object) that have buffered request bytes."""
    found: weakref.WeakSet[Any] = options.__dict__.setdefault(
        "_bb_buffering", weakref.WeakSet()
    )  # beside the options: OptManager refuses unknown attributes and is unhashable
    return found


def _refuse(stream: Any, why: str) -> Generator[Any, Any, bool]:
    """Fail ``stream`` as mitmproxy's own body_size_limit does, and free its buffer."""
    read = len(stream.request_body_buf)
    stream.request_body_buf.clear()
    message = f"{REFUSAL} ({read} bytes read; {why})"
    stream.flow.error = mflow.Error(message)
    yield HttpErrorHook(stream.flow)
    yield http_layer.SendHttp(
        ResponseProtocolError(stream.stream_id, message, ErrorCode.REQUEST_TOO_LARGE),
        stream.context.client,
    )
    stream.client_state = stream.state_errored
    stream.flow.live = False
    return True


def install() -> None:
    """Wrap ``HttpStream.check_body_size`` once per process (idempotent)."""
    stream_class: Any = http_layer.HttpStream
    original = stream_class.check_body_size
    if getattr(original, _MARK, False):
        return

    def check_body_size(self: Any, request: bool) -> Generator[Any, Any, bool]:
        options = self.context.options
        limit = int(getattr(options, OPTION, 0) or 0)
        if request and limit and len(self.request_body_buf) > limit:
            return (yield from _refuse(self, f"limit {limit}"))
        budget = int(getattr(options, BUDGET_OPTION, 0) or 0)
        if request and budget and self.request_body_buf:
            streams = _buffering(options)
            streams.add(self)
            total = sum(len(s.request_body_buf) for s in streams)
            if total > budget:
                return (yield from _refuse(self, f"all request buffers together over {budget}"))
        result: bool = yield from original(self, request)
        return result

    setattr(check_body_size, _MARK, True)
    check_body_size.__doc__ = original.__doc__
    stream_class.check_body_size = check_body_size
