"""Specification of `bb_egress.addons.chain.EgressChain`: the egress addons as one mitmproxy
addon, each event reaching only the members that define it, in order, failing closed."""

from __future__ import annotations

import pytest
from mitmproxy.test import taddons, tflow

from bb_egress.addons.chain import FLOW_HOOKS, LIFECYCLE_HOOKS, EgressChain


class _Recorder:
    def __init__(self, name: str, calls: list[str]) -> None:
        self.name = name
        self.calls = calls

    def request(self, flow: object) -> None:
        self.calls.append(f"{self.name}.request")


class _AsyncRecorder(_Recorder):
    async def requestheaders(self, flow: object) -> None:
        self.calls.append(f"{self.name}.requestheaders")


class _Raises:
    def request(self, flow: object) -> None:
        raise RuntimeError("a bug in a gate")


class _Options:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def load(self, loader: object) -> None:
        self.calls.append("load")

    def configure(self, updated: set[str]) -> None:
        self.calls.append("configure")


def test_each_event_reaches_the_members_that_define_it_in_order() -> None:
    """`request` reaches a, b, c in the order given; a hook no member has is not an attribute."""
    calls: list[str] = []
    chain = EgressChain([_Recorder("a", calls), _AsyncRecorder("b", calls), _Recorder("c", calls)])
    flow = tflow.tflow()
    chain.request(flow)  # type: ignore[attr-defined]
    assert calls == ["a.request", "b.request", "c.request"]
    assert [h.__self__.name for h in chain.hooks("requestheaders")] == ["b"]  # type: ignore[attr-defined]
    assert not hasattr(chain, "websocket_message")
    assert not hasattr(chain, "addons")  # mitmproxy must not traverse the members itself


@pytest.mark.anyio
async def test_an_async_member_makes_the_hook_awaitable() -> None:
    """A hook any member defines as a coroutine is awaited in the member's turn."""
    calls: list[str] = []
    chain = EgressChain([_AsyncRecorder("a", calls)])
    await chain.requestheaders(tflow.tflow())  # type: ignore[attr-defined]
    assert calls == ["a.requestheaders"]


def test_a_member_that_raises_kills_the_flow_and_no_later_member_runs() -> None:
    """Fail closed: mitmproxy would log the error and forward the flow; the chain kills it."""
    calls: list[str] = []
    chain = EgressChain([_Raises(), _Recorder("after", calls)])
    flow = tflow.tflow()
    with pytest.raises(RuntimeError):
        chain.request(flow)  # type: ignore[attr-defined]
    assert flow.error is not None
    assert not flow.live
    assert calls == []


def test_load_and_configure_reach_every_member() -> None:
    """Options are declared and checked by each member, through the one registered addon."""
    calls: list[str] = []
    chain = EgressChain([_Options(calls), _Options(calls)])
    with taddons.context(chain) as tctx:
        tctx.configure(chain)
    assert calls == ["load", "load", "configure", "configure"]


def test_every_mitmproxy_hook_a_member_defines_is_dispatched_by_the_chain() -> None:
    """A member hook the chain did not list would silently never run."""
    import inspect

    from mitmproxy import hooks

    from bb_egress import addons as package

    assert set(FLOW_HOOKS) <= set(hooks.all_hooks)
    dispatched = set(FLOW_HOOKS) | set(LIFECYCLE_HOOKS)
    for _, cls in inspect.getmembers(package, inspect.isclass):
        if cls.__module__.startswith("bb_egress.addons."):
            defined = {name for name in hooks.all_hooks if callable(getattr(cls, name, None))}
            assert defined <= dispatched, (cls, defined - dispatched)
