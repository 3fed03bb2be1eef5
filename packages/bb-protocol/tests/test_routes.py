"""Specification of bb_protocol.routes: the routes.yaml schema shared by CLI, supervise, egress."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bb_protocol.routes import (
    Route,
    RoutesError,
    RoutesFile,
    dump_routes,
    host_matches,
    is_ip_literal,
    normalise_host,
    parse_routes,
    path_matches,
)

FULL = """\
version: 1
routes:
  - host: API.GitHub.com.
    methods: [get, POST]
    paths: [/repos/, /user]
    outbound_on_match: block
    inject_headers:
      Authorization: "Bearer ${EGRESS_TOKEN_GITHUB}"
    note: the forge
  - host: "*.pythonhosted.org"
  - host: api.anthropic.com
    provider: true
  - host: plain.example.com
    scheme: http
    port: 8080
"""


def test_a_full_file_parses_with_normalised_hosts_and_methods() -> None:
    """Hosts are lower-cased without trailing dot; methods are upper-cased."""
    routes = parse_routes(FULL)
    github = routes.routes[0]
    assert github.host == "api.github.com"
    assert github.methods == ("GET", "POST")
    assert github.paths == ("/repos/", "/user")
    assert github.inject_headers == {"Authorization": "Bearer ${EGRESS_TOKEN_GITHUB}"}
    assert github.secret_env_vars == frozenset({"EGRESS_TOKEN_GITHUB"})
    assert routes.secret_env_vars == frozenset({"EGRESS_TOKEN_GITHUB"})


@pytest.mark.parametrize(
    ("text", "count"),
    [("", 0), ("# nothing\n", 0), ("routes:\n", 0), ("routes: []\n", 0), ("version: 1\n", 0)],
)
def test_an_empty_file_is_valid_and_has_no_routes(text: str, count: int) -> None:
    """Empty text, comments only, or an empty list all mean deny-all, not an error."""
    assert len(parse_routes(text).routes) == count


@pytest.mark.parametrize(
    ("route", "port", "policy"),
    [
        ({"host": "a.example.com"}, 443, "supervise"),
        ({"host": "a.example.com", "scheme": "http"}, 80, "supervise"),
        ({"host": "a.example.com", "port": 8443}, 8443, "supervise"),
        ({"host": "api.anthropic.com", "provider": True}, 443, "redact"),
        (
            {"host": "api.anthropic.com", "provider": True, "outbound_on_match": "block"},
            443,
            "block",
        ),
        ({"host": "a.example.com", "outbound_on_match": "redact"}, 443, "redact"),
    ],
)
def test_ports_and_policies_default_by_scheme_and_provider(
    route: dict[str, object], port: int, policy: str
) -> None:
    """Port defaults to 443/80; policy defaults to redact for providers, else supervise."""
    parsed = Route.model_validate(route)
    assert parsed.effective_port == port
    assert parsed.effective_on_match == policy


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "routes: [{host: a.example.com, port: 0}]",
            r"route 0 \(host 'a.example.com'\), field 'port'",
        ),
        (
            "routes: [{host: ok.example.com}, {host: 10.0.0.1}]",
            r"route 1 \(host '10.0.0.1'\).*IP literal",
        ),
        ("routes: [{host: '[::1]'}]", r"IP literal"),
        ("routes: [{host: '2130706433'}]", r"IP literal"),
        ("routes: [{host: '*.com'}]", r"too broad"),
        ("routes: [{host: 'a.*.com'}]", r"only as a whole first label"),
        ("routes: [{host: 'bad_label.com'}]", r"letters, digits or hyphens"),
        ("routes: [{host: 'a..com'}]", r"empty label"),
        ("routes: [{host: ''}]", r"host is empty"),
        ("routes: [{host: a.com, methods: [CONNECT]}]", r"CONNECT cannot be allowed"),
        ("routes: [{host: a.com, methods: ['GE T']}]", r"not an HTTP method"),
        ("routes: [{host: a.com, methods: []}]", r"non-empty list"),
        ("routes: [{host: a.com, methods: [GTE]}]", r"'GTE' is not a known HTTP method"),
        ("routes: [{host: '*.*.github.com'}]", r"host '\*\.\*\.github\.com': '\*' is allowed"),
        ("routes: [{host: 'https://a.com'}]", r"drop 'https://'"),
        ("routes: [{host: 'a.com:8443'}]", r"`port: 8443`"),
        ("routes: [{host: a.com, paths: [repos]}]", r"starting with '/'"),
        ("routes: [{host: a.com, paths: ['/a/../b']}]", r"'\.\.' segments"),
        ("routes: [{host: a.com, paths: ['/a%2fb']}]", r"percent-encoding"),
        ("routes: [{host: a.com, paths: ['/a?x=1']}]", r"'\?'"),
        ("routes: [{host: a.com, outbound_on_match: allow}]", r"field 'outbound_on_match'"),
        ("routes: [{host: a.com, colour: red}]", r"field 'colour'"),
        ("routes: [{host: a.com, inject_headers: {Host: x}}]", r"cannot be injected"),
        (
            "routes: [{host: a.com, inject_headers: {X-A: '${HOME}'}}]",
            r"starting with EGRESS_TOKEN_",
        ),
        (
            "routes: [{host: a.com, inject_headers: {X-A: '$EGRESS_TOKEN_A'}}]",
            r"'\$' may appear only",
        ),
        ('routes: [{host: a.com, inject_headers: {X-A: "a\\r\\nb"}}]', r"control characters"),
        ("routes: [{host: a.com, inject_headers: {X-A: a, x-a: b}}]", r"given twice"),
        ("routes: {host: a.com}", r"'routes' must be a list"),
        ("version: 2\nroutes: []", r"field 'version'"),
        ("- host: a.com", r"top level must be a mapping"),
        ("routes: [host: a", r"not valid YAML"),
    ],
)
def test_invalid_files_raise_an_error_naming_route_and_field(text: str, message: str) -> None:
    """Every rejection names the source file and, where there is one, the route and the field."""
    with pytest.raises(RoutesError, match=message) as info:
        parse_routes(text, source="/etc/routes.yaml")
    assert str(info.value).startswith("/etc/routes.yaml: ")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("  example.com ", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
    ],
)
def test_hosts_normalise_case_trailing_dot_and_idna(raw: str, canonical: str) -> None:
    """Different spellings of one host compare equal after normalisation."""
    assert normalise_host(raw) == canonical


@pytest.mark.parametrize(
    ("host", "literal"),
    [
        ("127.0.0.1", True),
        ("[::1]", True),
        ("::ffff:10.0.0.1", True),
        ("127.1", True),
        ("0x7f.0.0.1", True),
        ("2130706433", True),
        ("1.example.com", False),
        ("example.com", False),
    ],
)
def test_ip_literals_are_recognised_in_every_spelling_resolvers_accept(
    host: str, literal: bool
) -> None:
    """Dotted, bracketed, short, hex and decimal IPv4 spellings are all IP literals."""
    assert is_ip_literal(host) is literal


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("example.com", "example.com", True),
        ("example.com", "a.example.com", False),
        ("*.example.com", "a.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "badexample.com", False),
        ("*.example.com", "example.com.evil.org", False),
    ],
)
def test_wildcards_match_strict_subdomains_only(pattern: str, host: str, matches: bool) -> None:
    """``*.domain`` never matches the domain itself or a look-alike suffix."""
    assert host_matches(pattern, host) is matches


@pytest.mark.parametrize(
    ("prefix", "path", "matches"),
    [
        ("/repos", "/repos", True),
        ("/repos", "/repos/x", True),
        ("/repos", "/reposx", False),
        ("/repos/", "/repos/x", True),
        ("/repos/", "/repos", False),
        ("/", "/anything", True),
    ],
)
def test_path_prefixes_match_on_segment_boundaries(prefix: str, path: str, matches: bool) -> None:
    """``/repos`` allows ``/repos/x`` but not ``/reposx``."""
    assert path_matches(prefix, path) is matches


def test_find_returns_the_first_route_allowing_the_request() -> None:
    """Routes are tried in file order; method, path, scheme and port all narrow a route."""
    routes = parse_routes(FULL)
    assert routes.find("https", "api.github.com", 443, "GET", "/repos/x") is routes.routes[0]
    assert routes.find("https", "api.github.com", 443, "DELETE", "/repos/x") is None
    assert routes.find("https", "api.github.com", 443, "GET", "/orgs") is None
    assert routes.find("http", "api.github.com", 80, "GET", "/repos/x") is None
    assert routes.find("https", "files.pythonhosted.org", 443, "GET", "/") is routes.routes[1]
    assert routes.find("http", "plain.example.com", 8080, "GET", "/") is routes.routes[3]
    assert routes.find("http", "plain.example.com", 80, "GET", "/") is None
    assert routes.endpoint_routes("api.github.com", 443) == (routes.routes[0],)


def test_dump_writes_the_same_schema_back() -> None:
    """dump_routes output parses to an equal RoutesFile and omits defaults."""
    routes = parse_routes(FULL)
    text = dump_routes(routes)
    assert parse_routes(text) == routes
    assert "scheme: https" not in text
    assert "host: '*.pythonhosted.org'" in text


_hosts = st.from_regex(r"(\*\.)?[a-z][a-z0-9]{0,8}\.[a-z]{2,6}", fullmatch=True)


@given(
    hosts=st.lists(_hosts, max_size=5),
    policy=st.sampled_from([None, "redact", "block", "supervise"]),
    port=st.one_of(st.none(), st.integers(1, 65535)),
)
def test_any_valid_routes_file_round_trips_through_dump(
    hosts: list[str], policy: str | None, port: int | None
) -> None:
    """parse(dump(x)) == x for generated route sets."""
    routes = RoutesFile(
        routes=tuple(
            Route.model_validate({"host": h, "outbound_on_match": policy, "port": port})
            for h in hosts
        )
    )
    assert parse_routes(dump_routes(routes)) == routes


def test_a_credential_is_never_injected_on_plain_http_unless_the_route_says_so() -> None:
    """inject_headers on scheme http is refused; inject_over_http: true allows it."""
    headers = {"Authorization": "Bearer ${EGRESS_TOKEN_VLLM}"}
    with pytest.raises(ValueError, match="unencrypted"):
        Route(host="vllm.corp.example", scheme="http", inject_headers=headers)
    route = Route(
        host="vllm.corp.example", scheme="http", inject_headers=headers, inject_over_http=True
    )
    assert route.operator_only == ("inject_over_http",)


def test_inject_over_http_is_only_for_http_routes() -> None:
    """The flag on an https route is a mistake, named."""
    with pytest.raises(ValueError, match="only for routes with scheme http"):
        Route(host="api.example.com", inject_over_http=True)


def test_operator_only_settings_survive_a_write_and_read_back() -> None:
    """private_network and inject_over_http are written by dump_routes and parsed again."""
    text = dump_routes(
        RoutesFile(routes=(Route(host="llm.corp.example", private_network=True, provider=True),))
    )
    (route,) = parse_routes(text).routes
    assert route.private_network is True
    assert route.operator_only == ("private_network",)
    assert "private_network: true" in text


@pytest.mark.parametrize(
    "route",
    [
        {"host": "llm.corp.example", "private_network": True},
        {"host": "vllm.corp.example", "scheme": "http", "inject_over_http": True},
    ],
)
def test_a_proposal_can_never_carry_an_operator_only_setting(route: dict[str, object]) -> None:
    """egress-allow requests with private_network/inject_over_http are refused by the contract."""
    from pydantic import ValidationError

    from bb_protocol.queue import EgressAllowRequest

    with pytest.raises(ValidationError, match="only be set by the operator"):
        EgressAllowRequest.model_validate({"route": route, "justification": "x"})
