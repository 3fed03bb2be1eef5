"""`EgressChain`: the egress addons registered with mitmproxy as one addon.

Why one: mitmproxy pays its dispatch (a ``safecall`` context, a coroutine and a generator)
for every registered addon on every event, whether the addon has a hook for it or not.
Thirteen separately registered addons cost the proxy about a third of its requests per
second on the egress benchmark, more than the DLP scan itself. The chain keeps the small
addons (each a class with its own hooks and tests, composed in `egress_addons`' order) and
calls, for each event, only the hooks its members define, in that order.

It also fails closed where separate registration would not: mitmproxy logs an exception
raised by a hook and carries on with the flow. A member that raises on a flow hook here
kills the flow (or refuses the server connection) before the exception is re-raised for
mitmproxy to log, so no later gate is skipped on the way to the upstream.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

from mitmproxy import flow as mflow
from mitmproxy.proxy import server_hooks

__all__ = ["FLOW_HOOKS", "LIFECYCLE_HOOKS", "EgressChain"]

LIFECYCLE_HOOKS: Final = ("load", "configure", "running", "done")
"""Hooks mitmproxy may call synchronously: forwarded to every member, in order."""

FLOW_HOOKS: Final = (
    "client_connected",
    "client_disconnected",
    "server_connect",
    "server_connected",
    "server_disconnected",
    "tls_clienthello",
    "tls_start_client",
    "tls_start_server",
    "tls_failed_client",
    "tls_failed_server",
    "http_connect",
    "http_connect_upstream",
    "requestheaders",
    "request",
    "responseheaders",
    "response",
    "error",
    "websocket_start",
    "websocket_message",
    "websocket_end",
    "tcp_start",
    "tcp_message",
    "tcp_end",
    "tcp_error",
    "udp_start",
    "udp_message",
    "udp_end",
    "udp_error",
)
"""Every connection and flow hook a member may define (mitmproxy 12's names)."""

_Hook = Callable[[Any], Awaitable[None] | None]


def _fail_closed(arg: object) -> None:
    """Stop what a raising hook was deciding about: kill the flow, refuse the connection."""
    if isinstance(arg, mflow.Flow):
        if arg.killable:
            arg.kill()  # type: ignore[no-untyped-call]
    elif isinstance(arg, server_hooks.ServerConnectionHookData):
        arg.server.error = "refused: an egress check failed"


class EgressChain:
    """The egress addons as one mitmproxy addon: each event reaches, in order, only the
    members that define a hook for it; a member raising on a flow hook kills that flow."""

    def __init__(self, members: Sequence[object]) -> None:
        self.members: tuple[object, ...] = tuple(members)
        """The addons, in `egress_addons`' order."""
        self._hooks: dict[str, tuple[_Hook, ...]] = {}
        for name in FLOW_HOOKS:
            funcs = tuple(func for m in self.members if callable(func := getattr(m, name, None)))
            if funcs:
                self._hooks[name] = funcs
                # A plain attribute per hook the members have, so mitmproxy's getattr finds
                # it and every other event costs it nothing.
                setattr(self, name, self._dispatcher(funcs))

    def _dispatcher(self, funcs: tuple[_Hook, ...]) -> Callable[[Any], Awaitable[None] | None]:
        if any(inspect.iscoroutinefunction(f) for f in funcs):

            async def dispatch_async(arg: Any) -> None:
                for func in funcs:
                    try:
                        result = func(arg)
                        if result is not None and inspect.isawaitable(result):
                            await result
                    except Exception:
                        _fail_closed(arg)
                        raise

            return dispatch_async

        def dispatch(arg: Any) -> None:
            for func in funcs:
                try:
                    func(arg)
                except Exception:
                    _fail_closed(arg)
                    raise

        return dispatch

    def hooks(self, name: str) -> tuple[_Hook, ...]:
        """The members' ``name`` hooks in call order (empty when none has it)."""
        return self._hooks.get(name, ())

    def _each(self, name: str, *args: object) -> None:
        for member in self.members:
            func = getattr(member, name, None)
            if callable(func):
                func(*args)

    def load(self, loader: object) -> None:
        """Each member declares its options."""
        self._each("load", loader)

    def configure(self, updated: set[str]) -> None:
        """Each member checks the options (an `OptionsError` refuses them)."""
        self._each("configure", updated)

    def running(self) -> None:
        """Each member's start-up work (the CA export)."""
        self._each("running")

    def done(self) -> None:
        """Each member's shutdown work."""
        self._each("done")
