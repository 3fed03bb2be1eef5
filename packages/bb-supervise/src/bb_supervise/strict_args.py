"""Middleware rejecting tool calls with unknown, oversized or deeply nested arguments.

The SDK validates declared arguments but silently drops undeclared ones; for a security
boundary an agent passing ``status: approved`` must hear "no such argument", not succeed
quietly. Limits on size and depth keep a hostile call from costing the sidecar much.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent

__all__ = ["MAX_ARGUMENT_BYTES", "MAX_DEPTH", "StrictArguments", "argument_problem"]

MAX_ARGUMENT_BYTES: Final = 32 * 1024
"""Largest accepted JSON encoding of a call's arguments."""

MAX_DEPTH: Final = 6
"""Deepest accepted nesting of a call's arguments."""


def _depth(value: object, level: int = 0) -> int:
    if isinstance(value, Mapping):
        return max([_depth(v, level + 1) for v in value.values()], default=level + 1)
    if isinstance(value, list | tuple):
        return max([_depth(v, level + 1) for v in value], default=level + 1)
    return level


def argument_problem(arguments: object, allowed: frozenset[str]) -> str | None:
    """Why ``arguments`` must be refused for a tool accepting ``allowed``, or None."""
    if arguments is None:
        return None
    if not isinstance(arguments, Mapping):
        return "arguments must be a JSON object"
    unknown = sorted(str(k) for k in arguments if k not in allowed)
    if unknown:
        expected = ", ".join(sorted(allowed)) or "none"
        return f"unknown argument(s): {', '.join(unknown)}; this tool accepts: {expected}"
    try:
        size = len(json.dumps(arguments, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return "arguments are not plain JSON"
    if size > MAX_ARGUMENT_BYTES:
        return f"arguments are {size} bytes; the limit is {MAX_ARGUMENT_BYTES}"
    if _depth(arguments) > MAX_DEPTH:
        return f"arguments nest deeper than {MAX_DEPTH} levels"
    return None


class StrictArguments:
    """Server middleware: ``tools/call`` with a bad argument set gets an error result."""

    def __init__(self) -> None:
        self.allowed: dict[str, frozenset[str]] = {}

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        """Check ``tools/call`` requests; pass everything else through."""
        if ctx.method == "tools/call" and ctx.params is not None:
            name = ctx.params.get("name")
            allowed = self.allowed.get(name) if isinstance(name, str) else None
            if allowed is not None:
                problem = argument_problem(ctx.params.get("arguments"), allowed)
                if problem is not None:
                    return CallToolResult(
                        content=[TextContent(type="text", text=f"{name}: {problem}")],
                        is_error=True,
                    )
        return await call_next(ctx)
