"""Specification of bb_cli.route_suggest: observed requests become a tight route list."""

from __future__ import annotations

import pytest

from bb_cli.route_suggest import path_prefix, suggest_routes
from bb_protocol.audit import AuditRecord
from bb_protocol.routes import dump_routes, parse_routes


def denied(method: str, host: str, port: int, path: str = "", **extra: object) -> AuditRecord:
    return AuditRecord.model_validate(
        {
            "bottle": "b",
            "method": method,
            "host": host,
            "port": port,
            "path": path,
            "decision": "deny",
            "reason": "no-route",
            "observed": True,
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("path", "prefix"),
    [
        ("/v1/items/42", "/v1/items/"),
        ("/simple", "/simple"),
        ("/", "/"),
        ("/a/b/", "/a/b/"),
        ("", "/"),
    ],
)
def test_a_path_suggests_its_directory(path: str, prefix: str) -> None:
    """Ids and file names vary; the directory is kept; a top-level path is kept whole."""
    assert path_prefix(path) == prefix


def test_requests_group_by_host_with_the_methods_and_directories_seen() -> None:
    """One route per host and port: exactly the methods used, the directories used."""
    records = [
        denied("CONNECT", "api.example.com", 443),
        denied("GET", "api.example.com", 443, "/v1/items/1"),
        denied("GET", "api.example.com", 443, "/v1/items/2"),
        denied("POST", "api.example.com", 443, "/v1/orders"),
        denied("GET", "files.test", 8000, "/pkg/a.tar.gz"),
    ]
    routes = suggest_routes(records).routes.routes
    assert [(r.host, r.scheme, r.effective_port) for r in routes] == [
        ("api.example.com", "https", 443),
        ("files.test", "http", 8000),
    ]
    assert routes[0].methods == ("GET", "POST")
    assert routes[0].paths == ("/v1/",)  # /v1/orders gives /v1/, which covers /v1/items/
    assert routes[1].methods == ("GET",)
    assert routes[1].paths == ("/pkg/",)


def test_a_prefix_under_another_is_dropped() -> None:
    """``/simple`` covers ``/simple/pkg/``: one prefix is enough."""
    records = [
        denied("GET", "pypi.test", 443, "/simple"),
        denied("GET", "pypi.test", 443, "/simple/pkg/x"),
    ]
    assert suggest_routes(records).routes.routes[0].paths == ("/simple",)


def test_the_suggestion_allows_every_request_seen_and_nothing_on_other_hosts() -> None:
    """Applied, the routes allow each observed request; hosts are never widened."""
    records = [
        denied("GET", "a.example.com", 443, "/x/1"),
        denied("HEAD", "a.example.com", 443, "/y"),
    ]
    routes = suggest_routes(records).routes
    for r in records:
        assert routes.find("https", r.host, r.port, r.method, r.path) is not None
    assert routes.find("https", "b.example.com", 443, "GET", "/x/1") is None
    assert routes.find("https", "a.example.com", 443, "GET", "/z") is None


def test_allowed_and_other_denials_count_only_when_asked() -> None:
    """By default only no-route refusals; ``include_allowed`` adds allowed requests."""
    allowed = AuditRecord(
        bottle="b", method="GET", host="ok.test", port=443, path="/a", decision="allow"
    )
    dlp = denied("POST", "x.test", 443, "/a").model_copy(update={"reason": "dlp-block"})
    assert suggest_routes([allowed, dlp]).routes.routes == ()
    assert [r.host for r in suggest_routes([allowed], include_allowed=True).routes.routes] == [
        "ok.test"
    ]


def test_redacted_paths_and_unnameable_hosts_are_skipped_and_counted() -> None:
    """A path the DLP engine redacted cannot become a prefix; the operator is told."""
    result = suggest_routes(
        [denied("GET", "h.test", 443, "[redacted]"), denied("GET", "10.0.0.1", 443, "/")]
    )
    assert result.routes.routes == ()
    assert result.skipped == 2


def test_any_path_widens_only_when_asked_and_the_result_round_trips() -> None:
    """``any_path`` drops the paths; the list is a valid routes file either way."""
    records = [denied("GET", "h.test", 443, "/a/b")]
    wide = suggest_routes(records, any_path=True).routes
    assert wide.routes[0].paths is None
    assert parse_routes(dump_routes(wide)) == wide
