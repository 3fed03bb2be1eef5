"""Pure: what an approved egress-allow or egress-block, or an operator's edit, does to routes.

Both proposal changes are idempotent (adding a route already present, or removing a host
with no routes, changes nothing), so re-applying after a crash between applying and
recording the decision does no harm. Every result is re-validated through the shared
schema. Provenance (`bb_protocol.routes.Route.source`) is set here, by the host: an
approved route is ``approval`` whatever the proposal said, an operator's is ``operator``.
"""

from __future__ import annotations

from collections.abc import Sequence

from bb_cli.applicator.errors import InvalidChangeError
from bb_protocol.queue import EgressAllowRequest, EgressBlockRequest
from bb_protocol.routes import (
    Route,
    RoutesError,
    RoutesFile,
    RouteSource,
    dump_routes,
    normalise_route_host,
    parse_routes,
)

__all__ = ["added_routes", "changed_routes", "removed_routes", "same_route"]


def same_route(a: Route, b: Route) -> bool:
    """True when ``a`` and ``b`` allow the same thing (provenance and note aside)."""
    return a.model_copy(update={"source": None, "note": None}) == b.model_copy(
        update={"source": None, "note": None}
    )


def _validated(current: RoutesFile, routes: tuple[Route, ...]) -> RoutesFile:
    try:
        result = RoutesFile(version=current.version, routes=routes)
        reparsed = parse_routes(dump_routes(result), source="proposed routes")
    except (RoutesError, ValueError) as exc:
        raise InvalidChangeError(f"the change would make the routes invalid: {exc}") from exc
    if reparsed != result:
        raise InvalidChangeError("the changed routes do not survive a round trip through YAML")
    return result


def added_routes(
    current: RoutesFile, new: Sequence[Route], source: RouteSource = "operator"
) -> RoutesFile:
    """``current`` with each of ``new`` appended (marked ``source``) unless already allowed."""
    routes = current.routes
    for route in new:
        if not any(same_route(route, r) for r in routes):
            routes = (*routes, route.model_copy(update={"source": source}))
    return _validated(current, routes)


def removed_routes(current: RoutesFile, target: str) -> RoutesFile:
    """``current`` without route number ``target`` (0-based) or every route for host ``target``.

    Raise `InvalidChangeError` when nothing matches: an operator's typo must not pass for a
    removal.
    """
    if target.isdigit():
        index = int(target)
        if index >= len(current.routes):
            raise InvalidChangeError(
                f"no route {index}: this bottle has {len(current.routes)} route(s) (0-based;"
                " see `bb routes SLUG`)"
            )
        routes = current.routes[:index] + current.routes[index + 1 :]
    else:
        try:
            host = normalise_route_host(target)
        except ValueError as exc:
            raise InvalidChangeError(str(exc)) from None
        routes = tuple(r for r in current.routes if r.host != host)
        if len(routes) == len(current.routes):
            raise InvalidChangeError(f"no route for host {host!r} (see `bb routes SLUG`)")
    return _validated(current, routes)


def changed_routes(
    current: RoutesFile, request: EgressAllowRequest | EgressBlockRequest
) -> RoutesFile:
    """The routes after ``request``; raise `InvalidChangeError` if the result is invalid."""
    if isinstance(request, EgressAllowRequest):
        return added_routes(current, [request.route], source="approval")
    return _validated(current, tuple(r for r in current.routes if r.host != request.host))
