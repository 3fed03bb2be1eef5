"""The supervise MCP server: the agent's only way to ask the operator for anything.

Tools (names from `bb_protocol.tools`): ``egress-allow``, ``egress-block`` and
``capability-block`` each write a proposal to the queue and block until the operator
decides or the call times out, then return the decision and reason; ``list-egress-routes``
returns the routes in force. Nothing here can approve: approvals are written only by the
host, signed with a key the agent never sees. ``egress-token-allow`` and ``gitleaks-allow``
are written by the proxy and the git gate and are not tools here.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field, ValidationError

from bb_protocol.queue import (
    ApprovalKey,
    CapabilityBlockRequest,
    EgressAllowRequest,
    EgressBlockRequest,
    QueueStore,
    Request,
)
from bb_protocol.routes import Route, dump_routes
from bb_protocol.tools import (
    TOOL_CAPABILITY_BLOCK,
    TOOL_EGRESS_ALLOW,
    TOOL_EGRESS_BLOCK,
    TOOL_LIST_EGRESS_ROUTES,
)
from bb_supervise import descriptions
from bb_supervise.config import SuperviseConfig
from bb_supervise.errors import RoutesUnavailableError
from bb_supervise.routes_source import AdminEndpointRoutes, FileRoutes, RoutesSource
from bb_supervise.strict_args import StrictArguments
from bb_supervise.waiting import DecisionResult, await_decision

__all__ = ["SuperviseState", "argument_names", "make_server", "routes_source_for"]

Justification = Annotated[
    str, Field(min_length=1, max_length=4000, description=descriptions.JUSTIFICATION)
]


@dataclass(frozen=True)
class SuperviseState:
    """What the tools share for the server's lifetime (the lifespan context)."""

    config: SuperviseConfig
    store: QueueStore
    key: ApprovalKey
    routes: RoutesSource | None


def routes_source_for(config: SuperviseConfig) -> RoutesSource | None:
    """The introspection endpoint when configured, else the mounted routes file, else None."""
    if config.egress_admin_url:
        return AdminEndpointRoutes(config.egress_admin_url, config.egress_admin_token)
    if config.routes_file is not None:
        return FileRoutes(config.routes_file)
    return None


def _state(ctx: Context[SuperviseState]) -> SuperviseState:
    return ctx.request_context.lifespan_context


async def _ask(ctx: Context[SuperviseState], request: Request) -> DecisionResult:
    state = _state(ctx)
    timeout = state.config.decision_timeout

    async def progress(waited: float) -> None:
        await ctx.report_progress(waited, timeout, "waiting for the operator's decision")

    return await await_decision(
        state.store,
        state.key,
        state.config.bottle,
        request,
        timeout=timeout,
        poll_interval=state.config.poll_interval,
        progress=progress,
        progress_every=state.config.progress_interval,
    )


def _invalid(tool: str, exc: ValidationError | ValueError) -> ToolError:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "route") or "arguments"
        return ToolError(f"{tool}: {where}: {first['msg']}")
    return ToolError(f"{tool}: {exc}")


async def _propose(
    ctx: Context[SuperviseState], tool: str, build: Callable[[], Request]
) -> DecisionResult:
    """Build the proposal (a value the agent can fix is refused naming the tool and the
    field), then ask the operator and wait for the decision."""
    try:
        request = build()
    except (ValidationError, ValueError) as exc:
        raise _invalid(tool, exc) from exc
    return await _ask(ctx, request)


async def egress_allow(
    ctx: Context[SuperviseState],
    host: Annotated[str, Field(min_length=1, max_length=253, description=descriptions.HOST)],
    justification: Justification,
    scheme: Annotated[Literal["https", "http"], Field(description=descriptions.SCHEME)] = "https",
    port: Annotated[int | None, Field(ge=1, le=65535, description=descriptions.PORT)] = None,
    methods: Annotated[
        list[str] | None, Field(max_length=16, description=descriptions.METHODS)
    ] = None,
    paths: Annotated[list[str] | None, Field(max_length=64, description=descriptions.PATHS)] = None,
    outbound_on_match: Annotated[
        Literal["redact", "block", "supervise"] | None,
        Field(description=descriptions.OUTBOUND_ON_MATCH),
    ] = None,
    note: Annotated[str | None, Field(max_length=200, description=descriptions.NOTE)] = None,
) -> DecisionResult:
    """Ask the operator to add an egress route; blocks until decided (or timed out)."""

    def build() -> Request:
        route = Route(
            host=host,
            scheme=scheme,
            port=port,
            methods=tuple(methods) if methods is not None else None,
            paths=tuple(paths) if paths is not None else None,
            outbound_on_match=outbound_on_match,
            note=note,
        )
        return EgressAllowRequest(route=route, justification=justification)

    return await _propose(ctx, TOOL_EGRESS_ALLOW, build)


async def egress_block(
    ctx: Context[SuperviseState],
    host: Annotated[str, Field(min_length=1, max_length=253, description=descriptions.BLOCK_HOST)],
    justification: Justification,
) -> DecisionResult:
    """Ask the operator to remove every route to a host; blocks until decided."""
    return await _propose(
        ctx, TOOL_EGRESS_BLOCK, lambda: EgressBlockRequest(host=host, justification=justification)
    )


async def capability_block(
    ctx: Context[SuperviseState],
    capability: Annotated[
        str, Field(min_length=1, max_length=200, description=descriptions.CAPABILITY)
    ],
    detail: Annotated[str, Field(max_length=4000, description=descriptions.DETAIL)] = "",
) -> DecisionResult:
    """Tell the operator you are blocked on a capability you lack; blocks until answered."""
    return await _propose(
        ctx,
        TOOL_CAPABILITY_BLOCK,
        lambda: CapabilityBlockRequest(capability=capability, detail=detail),
    )


def list_egress_routes(ctx: Context[SuperviseState]) -> str:
    """Return the bottle's egress routes in force, as routes.yaml text."""
    source = _state(ctx).routes
    if source is None:
        raise ToolError("this bottle's supervise server has no routes source configured")
    try:
        return dump_routes(source.current())
    except RoutesUnavailableError as exc:
        raise ToolError(f"routes unavailable: {exc}") from exc


def argument_names(function: Callable[..., Any]) -> frozenset[str]:
    """The arguments a tool function takes from the agent: its signature less the context.

    The allowlist `StrictArguments` enforces is derived here, from the same typed signature
    the SDK turns into the input schema, so the two cannot drift apart.
    """
    return frozenset(
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if name != "ctx" and parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    )


def make_server(
    config: SuperviseConfig, *, routes: RoutesSource | None = None
) -> MCPServer[SuperviseState]:
    """Build the server; the queue, key and routes source are opened by its lifespan."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[SuperviseState]) -> AsyncIterator[SuperviseState]:
        store = QueueStore(config.queue_dir).ensure()
        key = ApprovalKey.load(config.key_file)
        store.recover("supervise")
        yield SuperviseState(
            config=config,
            store=store,
            key=key,
            routes=routes if routes is not None else routes_source_for(config),
        )

    strict = StrictArguments()
    server: MCPServer[SuperviseState] = MCPServer(
        name="bot-bottle-supervise",
        instructions=descriptions.INSTRUCTIONS,
        lifespan=lifespan,
        middleware=[strict],
    )
    asking = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
    reading = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    tools: tuple[tuple[str, Callable[..., Any], str, ToolAnnotations], ...] = (
        (TOOL_EGRESS_ALLOW, egress_allow, descriptions.EGRESS_ALLOW, asking),
        (TOOL_EGRESS_BLOCK, egress_block, descriptions.EGRESS_BLOCK, asking),
        (TOOL_CAPABILITY_BLOCK, capability_block, descriptions.CAPABILITY_BLOCK, asking),
        (TOOL_LIST_EGRESS_ROUTES, list_egress_routes, descriptions.LIST_EGRESS_ROUTES, reading),
    )
    for name, function, description, hints in tools:
        server.add_tool(function, name=name, description=description, annotations=hints)
        strict.allowed[name] = argument_names(function)
    return server
