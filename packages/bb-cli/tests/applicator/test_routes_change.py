"""Pure routes changes for approved egress-allow / egress-block proposals."""

from __future__ import annotations

import pytest

from bb_cli.applicator import InvalidChangeError, changed_routes
from bb_cli.applicator.routes_change import added_routes, removed_routes
from bb_protocol.queue import EgressAllowRequest, EgressBlockRequest
from bb_protocol.routes import Route, RoutesFile, dump_routes, parse_routes

GITHUB = Route(host="api.github.com", methods=("GET",))
PYPI = Route(host="pypi.org")


def test_allow_appends_the_route():
    """An approved route is added after the existing ones, marked as from an approval."""
    result = changed_routes(RoutesFile(routes=(GITHUB,)), EgressAllowRequest(route=PYPI))
    assert result.routes == (GITHUB, PYPI.model_copy(update={"source": "approval"}))


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


def test_a_proposal_cannot_choose_its_own_provenance():
    """A proposed route claiming to come from the manifest is recorded as an approval."""
    claimed = Route(host="pypi.org", source="manifest")
    result = changed_routes(RoutesFile(), EgressAllowRequest(route=claimed))
    assert result.routes[0].source == "approval"


def test_operator_routes_are_appended_once_and_marked_operator():
    """`bb routes add` appends new routes as ``operator``; one already allowed is skipped."""
    current = RoutesFile(routes=(GITHUB.model_copy(update={"source": "manifest"}),))
    result = added_routes(current, [GITHUB, PYPI])
    assert [(r.host, r.source) for r in result.routes] == [
        ("api.github.com", "manifest"),
        ("pypi.org", "operator"),
    ]


@pytest.mark.parametrize(
    ("target", "left"), [("0", ("pypi.org",)), ("PyPI.org.", ("api.github.com",))]
)
def test_removal_by_index_or_host(target, left):
    """A route goes by its 0-based number or by host (normalised like the file's hosts)."""
    result = removed_routes(RoutesFile(routes=(GITHUB, PYPI)), target)
    assert tuple(r.host for r in result.routes) == left


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("7", "no route 7: this bottle has 2 route"),
        ("absent.org", "no route for host"),
        ("http://x", "host 'http://x'"),
    ],
)
def test_removal_of_nothing_is_refused_with_the_reason(target, message):
    """A typo never passes for a removal: the error says what did not match."""
    with pytest.raises(InvalidChangeError, match=message):
        removed_routes(RoutesFile(routes=(GITHUB, PYPI)), target)
