"""Pure routes changes for approved egress-allow / egress-block proposals."""

from __future__ import annotations

import pytest

from bb_cli.applicator import changed_routes
from bb_protocol.queue import EgressAllowRequest, EgressBlockRequest
from bb_protocol.routes import Route, RoutesFile, dump_routes, parse_routes

GITHUB = Route(host="api.github.com", methods=("GET",))
PYPI = Route(host="pypi.org")


def test_allow_appends_the_route():
    """An approved route is added after the existing ones."""
    result = changed_routes(RoutesFile(routes=(GITHUB,)), EgressAllowRequest(route=PYPI))
    assert result.routes == (GITHUB, PYPI)


def test_allow_of_a_route_already_present_changes_nothing():
    """Re-applying after a crash is harmless."""
    current = RoutesFile(routes=(GITHUB, PYPI))
    assert changed_routes(current, EgressAllowRequest(route=PYPI)) == current


@pytest.mark.parametrize(
    ("host", "left"), [("api.github.com", (PYPI,)), ("absent.org", (GITHUB, PYPI))]
)
def test_block_removes_every_route_to_the_host(host, left):
    """All routes with that host go; other hosts stay; an absent host changes nothing."""
    current = RoutesFile(routes=(GITHUB, PYPI))
    assert changed_routes(current, EgressBlockRequest(host=host)).routes == left


def test_the_result_is_what_the_routes_file_will_hold():
    """The changed routes survive a dump/parse round trip unchanged (what the proxy loads)."""
    route = Route(
        host="api.github.com",
        paths=("/repos/",),
        outbound_on_match="supervise",
        inject_headers={"Authorization": "Bearer ${EGRESS_TOKEN_GITHUB}"},
    )
    result = changed_routes(RoutesFile(routes=(PYPI,)), EgressAllowRequest(route=route))
    assert parse_routes(dump_routes(result)) == result
