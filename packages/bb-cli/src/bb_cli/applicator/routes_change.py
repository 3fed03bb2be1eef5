"""Pure: what an approved egress-allow or egress-block does to a routes file.

Both changes are idempotent (adding a route already present, or removing a host with no
routes, changes nothing), so re-applying after a crash between applying and recording
the decision does no harm. The result is re-validated through the shared schema.
"""

from __future__ import annotations

from bb_cli.applicator.errors import InvalidChangeError
from bb_protocol.queue import EgressAllowRequest, EgressBlockRequest
from bb_protocol.routes import RoutesError, RoutesFile, dump_routes, parse_routes

__all__ = ["changed_routes"]


def changed_routes(
    current: RoutesFile, request: EgressAllowRequest | EgressBlockRequest
) -> RoutesFile:
    """The routes after ``request``; raise `InvalidChangeError` if the result is invalid."""
    if isinstance(request, EgressAllowRequest):
        routes = current.routes
        if request.route not in routes:
            routes = (*routes, request.route)
    else:
        routes = tuple(r for r in current.routes if r.host != request.host)
    try:
        result = RoutesFile(version=current.version, routes=routes)
        reparsed = parse_routes(dump_routes(result), source="proposed routes")
    except (RoutesError, ValueError) as exc:
        raise InvalidChangeError(f"the change would make the routes invalid: {exc}") from exc
    if reparsed != result:
        raise InvalidChangeError("the changed routes do not survive a round trip through YAML")
    return result
