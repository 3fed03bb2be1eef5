"""Specification of bb_egress.policy: default-deny connect and request decisions."""

import json

import pytest

from bb_egress.policy import (
    Allowed,
    Denied,
    body_too_large,
    check_connect,
    check_header_bytes,
    check_request,
    check_sni,
    denial_body,
    host_header_agrees,
    names_destination,
    parse_authority,
    same_host,
)
from bb_protocol.routes import parse_routes

ROUTES = parse_routes(
    """
routes:
  - host: api.github.com
    methods: [GET]
    paths: [/repos]
  - host: "*.pythonhosted.org"
  - host: plain.example.com
    scheme: http
"""
)


@pytest.mark.parametrize(
    ("host", "port", "reason"),
    [
        ("evil.example", 443, "no-route"),
        ("api.github.com", 8443, "no-route"),
        ("pythonhosted.org", 443, "no-route"),
        ("10.0.0.1", 443, "ip-literal"),
        ("[::1]", 443, "ip-literal"),
        ("2130706433", 443, "ip-literal"),
        ("bad_host.example", 443, "invalid-host"),
    ],
)
def test_connect_is_denied_unless_a_route_names_host_and_port(
    host: str, port: int, reason: str
) -> None:
    """Unknown hosts, other ports, the bare wildcard base, IP literals and bad names are denied."""
    decision = check_connect(ROUTES, host, port)
    assert isinstance(decision, Denied)
    assert decision.reason == reason


@pytest.mark.parametrize(
    ("host", "port"),
    [("API.GitHub.com.", 443), ("files.pythonhosted.org", 443), ("plain.example.com", 80)],
)
def test_connect_is_allowed_for_routed_endpoints_in_any_spelling(host: str, port: int) -> None:
    """Case and trailing dot do not matter; wildcard subdomains and http routes work."""
    assert isinstance(check_connect(ROUTES, host, port), Allowed)


def test_an_empty_routes_file_denies_everything() -> None:
    """No routes means deny-all."""
    assert isinstance(check_connect(parse_routes(""), "api.github.com", 443), Denied)


def _request(**overrides: object) -> Allowed | Denied:
    args: dict[str, object] = {
        "scheme": "https",
        "raw_host": "api.github.com",
        "port": 443,
        "method": "GET",
        "target": "/repos/x?page=2",
        "connect_host": "api.github.com",
        "connect_port": 443,
        "headers": (),
    }
    args.update(overrides)
    return check_request(ROUTES, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"raw_host": "evil.example"}, "host-mismatch"),
        ({"port": 8443}, "host-mismatch"),
        ({"method": "POST"}, "no-route"),
        ({"target": "/orgs"}, "no-route"),
        ({"target": "/repos/../admin"}, "path-not-normal"),
        ({"target": "/repos/%2e%2e/admin"}, "path-not-normal"),
        ({"target": "/repos/x%2f..%2f..%2fadmin"}, "path-not-normal"),
        ({"scheme": "http", "port": 80, "connect_port": 80}, "no-route"),
        ({"target": "https://evil.example/repos/x"}, "target-not-origin-form"),
        ({"target": "//evil.example/repos/x"}, "target-not-origin-form"),
        ({"target": "/repos/..;/admin"}, "path-not-normal"),
        ({"target": "/repos/%252e%252e/admin"}, "path-not-normal"),
        ({"target": "/repos/%c0%ae%c0%ae/admin"}, "path-not-normal"),
        ({"headers": [("X-HTTP-Method-Override", "DELETE")]}, "method-override"),
        ({"target": "/repos/x?_method=DELETE"}, "method-override"),
    ],
)
def test_requests_are_denied_on_fronting_method_path_or_scheme(
    overrides: dict[str, object], reason: str
) -> None:
    """Host must equal the tunnel's; method, path and scheme must match the route."""
    decision = _request(**overrides)
    assert isinstance(decision, Denied)
    assert decision.reason == reason


@pytest.mark.parametrize(
    "target", ["https://files.pythonhosted.org/x", "//evil.example/x", "*", "/x#y"]
)
def test_a_route_without_narrowing_still_refuses_non_origin_form_targets(target: str) -> None:
    """Target form is checked on every route, before any route is looked up (issue 16)."""
    decision = _request(
        raw_host="files.pythonhosted.org", connect_host="files.pythonhosted.org", target=target
    )
    assert isinstance(decision, Denied)
    assert decision.reason == "target-not-origin-form"


def test_ambiguity_and_overrides_are_only_refused_where_the_route_narrows_them() -> None:
    """A route allowing every path and method forwards ';', '%25' and override headers."""
    decision = _request(
        raw_host="files.pythonhosted.org",
        connect_host="files.pythonhosted.org",
        target="/a/..;/b/%252e?_method=DELETE",
        headers=[("X-HTTP-Method-Override", "DELETE")],
    )
    assert isinstance(decision, Allowed)


def test_a_matching_request_is_allowed_with_its_route() -> None:
    """The first matching route is returned; the query is ignored for matching."""
    decision = _request()
    assert isinstance(decision, Allowed)
    assert decision.route.host == "api.github.com"


def test_plain_http_absolute_form_requests_need_no_tunnel() -> None:
    """A plain-HTTP request has no CONNECT host and matches http routes."""
    decision = _request(
        scheme="http", raw_host="plain.example.com", port=80, connect_host=None, connect_port=None
    )
    assert isinstance(decision, Allowed)


def test_the_denial_body_names_the_tool_to_call_in_text_and_json() -> None:
    """Both renderings tell the agent to call egress-allow with the host and port."""
    denied = Denied("no-route", "no route allows evil.example:443", "evil.example", 443)
    text, text_type = denial_body(denied, want_json=False)
    assert text_type.startswith("text/plain")
    assert b"egress-allow" in text
    assert b"evil.example" in text
    body, json_type = denial_body(denied, want_json=True)
    assert json_type == "application/json"
    document = json.loads(body)
    assert document["tool"] == "egress-allow"
    assert document["reason"] == "no-route"
    assert "egress-allow" in document["next_step"]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ([(b"X-A", b"a\x00b")], "header 'X-A' holds control byte 0x00"),
        ([(b"X-A", b"a\rHost: evil")], "header 'X-A' holds control byte 0x0d"),
        ([(b"X-A", b"a\nb")], "header 'X-A' holds control byte 0x0a"),
        ([(b"X\x01A", b"v")], r"header 'X\x01A' holds control byte 0x01"),
        ([(b"X-A", b"a\x7f")], "header 'X-A' holds control byte 0x7f"),
        ([(b"Host", b"ok"), (b"X-A", b"tab\tis fine")], None),
        ([(b"X-A", "caf\u00e9".encode())], None),
    ],
)
def test_control_bytes_in_header_names_or_values_are_refused(
    fields: list[tuple[bytes, bytes]], problem: str | None
) -> None:
    """NUL, CR, LF and other controls never pass (escape suite D42); HTAB and UTF-8 do."""
    assert check_header_bytes(fields) == problem


def test_an_unresolvable_routed_host_is_explained_as_a_name_problem_not_fronting() -> None:
    """resolution-failed advice is about the name (typo, DNS), not Host/SNI; names the tool."""
    advice = Denied("resolution-failed", "cannot resolve x.example", "x.example", 443).next_step()
    assert "could not resolve" in advice
    assert "egress-allow" in advice
    assert "TLS server name" not in advice
    assert "Host" not in advice


@pytest.mark.parametrize(
    ("name", "host", "same"),
    [
        ("api.example.com", "api.example.com", True),
        ("API.Example.COM.", "api.example.com", True),
        ("api.example.com", "API.EXAMPLE.COM", True),
        ("evil.example", "api.example.com", False),
        ("api.example.com.evil.example", "api.example.com", False),
        ("bad_host.example", "bad_host.example", False),
        ("", "api.example.com", False),
    ],
)
def test_two_names_are_the_same_host_only_when_both_normalise_equal(
    name: str, host: str, same: bool
) -> None:
    """Case and a trailing dot do not matter; a name that does not parse never matches."""
    assert same_host(name, host) is same


@pytest.mark.parametrize(
    ("sni", "refused"),
    [
        (None, False),
        ("api.example.com", False),
        ("API.example.com.", False),
        ("evil.example", True),
    ],
)
def test_a_tls_server_name_other_than_the_connect_host_is_refused(
    sni: str | None, refused: bool
) -> None:
    """sni-mismatch names both; a client that sent no SNI is left to the Host check."""
    denied = check_sni(sni, "api.example.com", 443)
    assert (denied is not None) is refused
    if denied is not None:
        assert (denied.reason, denied.host, denied.port) == ("sni-mismatch", "api.example.com", 443)
        assert "evil.example" in denied.detail


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("api.example.com", ("api.example.com", None)),
        ("api.example.com:8443", ("api.example.com", 8443)),
        ("[2001:db8::1]:443", ("2001:db8::1", 443)),
        ("[2001:db8::1]", ("2001:db8::1", None)),
        ("api.example.com:x", ("api.example.com:x", None)),
        (":443", (":443", None)),
    ],
)
def test_an_authority_splits_into_host_and_optional_port(
    value: str, parsed: tuple[str, int | None]
) -> None:
    """Brackets come off an IPv6 host; a non-numeric port stays part of the name."""
    assert parse_authority(value) == parsed


def test_an_empty_authority_is_a_value_error() -> None:
    """Absent values are filtered by the caller; parsing one is a mistake."""
    with pytest.raises(ValueError, match="empty"):
        parse_authority("")


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("api.example.com", True),
        ("api.example.com:443", True),
        ("API.example.com.:443", True),
        ("api.example.com:8443", False),
        ("other.example:443", False),
        ("api.example.com:x", False),
        ("", False),
    ],
)
def test_an_authority_names_the_destination_only_with_its_host_and_port(
    value: str, names: bool
) -> None:
    """Host and port must both agree; no port means the destination's."""
    assert names_destination(value, "api.example.com", 443) is names


@pytest.mark.parametrize(
    ("values", "agrees"),
    [
        (("", "api.example.com"), True),
        (("api.example.com:443", "api.example.com"), True),
        (("", ""), True),
        (("other.example", "api.example.com"), False),
        (("api.example.com", "other.example"), False),
    ],
)
def test_host_and_authority_must_all_name_the_destination(
    values: tuple[str, str], agrees: bool
) -> None:
    """Any disagreement between the absolute-form authority, Host and the destination is
    domain fronting; absent values are not compared."""
    assert host_header_agrees(values, "api.example.com", 443) is agrees


@pytest.mark.parametrize(
    ("size", "refused"),
    [("100", False), (100, False), ("101", True), (101, True), ("not-a-number", False)],
)
def test_a_body_over_the_limit_is_refused_with_its_size_named(
    size: str | int, refused: bool
) -> None:
    """The description names both sizes; a malformed length was already refused upstream."""
    problem = body_too_large(size, 100)
    assert (problem is not None) is refused
    if problem is not None:
        assert "101 bytes" in problem
        assert "100 bytes" in problem
