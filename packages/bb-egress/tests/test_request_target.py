"""Specification of bb_egress.request_target: target form, ambiguous paths, method overrides."""

import pytest

from bb_egress.request_target import (
    ambiguous_path,
    body_method_override,
    method_override,
    target_form_problem,
)


@pytest.mark.parametrize(
    ("method", "target", "problem"),
    [
        ("GET", "https://other.example/x", "is an absolute URI"),
        ("GET", "http://other.example/x", "is an absolute URI"),
        ("GET", "HTTPS://other.example/x", "is an absolute URI"),
        ("GET", "https://allowed.example:8443/x", "is an absolute URI"),
        ("GET", "http://10.0.0.1/x", "is an absolute URI"),
        ("GET", "http://[::1]:80/x", "is an absolute URI"),
        ("GET", "ws://other.example/", "is an absolute URI"),
        ("GET", "//other.example/x", "network-path reference"),
        ("GET", "///other.example/x", "network-path reference"),
        ("GET", "/\\other.example/x", "network-path reference"),
        ("GET", "/%2fother.example/x", "network-path reference"),
        ("GET", "/%5Cother.example/x", "network-path reference"),
        ("GET", "other.example:443", "is not origin-form"),
        ("GET", "mailto:a@b", "is not origin-form"),
        ("GET", "x/y", "is not origin-form"),
        ("GET", "", "is not origin-form"),
        ("GET", "*", "only valid for OPTIONS"),
        ("POST", "*", "only valid for OPTIONS"),
        ("GET", "/x#/../admin", "fragment"),
        ("GET", "/a b", "U+0020"),
        ("GET", "/a\tb", "U+0009"),
        ("GET", "/a\r\nHost: evil", "U+000D"),
        ("GET", "/a\x00", "U+0000"),
    ],
)
def test_targets_that_are_not_origin_form_are_named(method: str, target: str, problem: str) -> None:
    """Absolute, network-path, authority, relative, stray asterisk, fragment and controls."""
    found = target_form_problem(method, target)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/"),
        ("GET", "/x?y=1"),
        ("GET", "/a?next=https://other.example/"),
        ("GET", "/a?u=//other.example"),
        ("GET", "/a/b:c@d/e"),
        ("GET", "/a//b"),
        ("GET", "/caf\u00e9"),
        ("OPTIONS", "*"),
        ("options", "*"),
    ],
)
def test_origin_form_targets_and_options_asterisk_pass(method: str, target: str) -> None:
    """Queries may hold URLs; colons, at-signs and inner empty segments are origin-form."""
    assert target_form_problem(method, target) is None


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/api/../admin", "dot segment '..'"),
        ("/api/./x", "dot segment '.'"),
        ("/api/..", "dot segment '..'"),
        ("/api/%2e%2e/admin", "dot segment '..'"),
        ("/api/%2E./admin", "dot segment '..'"),
        ("/api/.../admin", "dot segment '...'"),
        ("/api/..%20/admin", "dot segment '.. '"),
        ("/api/..;/admin", "';' (a path parameter)"),
        ("/api;x=1/y", "';' (a path parameter)"),
        ("/api/%3b/y", "';' (a path parameter)"),
        ("/api/%252e%252e/admin", "encoded '%' (%25)"),
        ("/api/%252fadmin", "encoded '%' (%25)"),
        ("/api/..%2fadmin", "encoded '/' (%2f)"),
        ("/api%2F..%2Fadmin", "encoded '/' (%2f)"),
        ("/api/..%5cadmin", "encoded '\\' (%5c)"),
        ("/api/..\\admin", "backslash"),
        ("/api/..%3f/admin", "encoded '?' (%3f)"),
        ("/api/..%23/admin", "encoded '#' (%23)"),
        ("/api/%c0%ae%c0%ae/admin", "not valid UTF-8"),
        ("/api/%e0%80%ae/admin", "not valid UTF-8"),
        ("/api/%80", "not valid UTF-8"),
        ("/api/%00/x", "control byte 0x00"),
        ("/api/%0d%0a", "control byte 0x0d"),
        ("/api/%zz", "does not start a two-digit escape"),
        ("/api/%2", "does not start a two-digit escape"),
        ("/api/\uff0e\uff0e/admin", "U+FF0E"),
        ("/api/%ef%bc%8e%ef%bc%8e/admin", "U+FF0E"),
        ("/api\uff0fadmin", "U+FF0F"),
        ("/api/\u2025/admin", "U+2025"),
    ],
)
def test_ambiguous_paths_are_named(path: str, problem: str) -> None:
    """Every construct an origin may decode into a path outside the prefix, by name."""
    found = ambiguous_path(path)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api/repos/x",
        "/api/a.b/c..d/.hidden",
        "/api/%20x",
        "/api/caf%c3%a9",
        "/api/\u00e9",
    ],
)
def test_plain_paths_are_not_ambiguous(path: str) -> None:
    """Dots inside names, encoded spaces and valid UTF-8 (encoded or not) pass."""
    assert ambiguous_path(path) is None


ONLY_GET = ("GET",)
GET_POST = ("GET", "POST")


@pytest.mark.parametrize(
    ("headers", "query", "allowed", "problem"),
    [
        ([("X-HTTP-Method-Override", "DELETE")], "", ONLY_GET, "X-HTTP-Method-Override header"),
        ([("x-http-method", "put")], "", ONLY_GET, "'PUT'"),
        ([("X-Method-Override", "PATCH")], "", GET_POST, "'PATCH'"),
        ([("X_HTTP_Method_Override", "DELETE")], "", GET_POST, "'DELETE'"),
        ([("X-HTTP-Method-Override", "")], "", ONLY_GET, "'(empty)'"),
        (
            [("X-HTTP-Method-Override", "GET"), ("X-HTTP-Method", "DELETE")],
            "",
            ONLY_GET,
            "X-HTTP-Method header",
        ),
        ([], "_method=DELETE", ONLY_GET, "_method query parameter"),
        ([], "a=1&_METHOD=delete", ONLY_GET, "'DELETE'"),
        ([], "%5fmethod=DELETE", ONLY_GET, "'DELETE'"),
        ([], "_method=GET&_method=DELETE", ONLY_GET, "'DELETE'"),
    ],
)
def test_method_overrides_naming_a_method_the_route_refuses_are_named(
    headers: list[tuple[str, str]], query: str, allowed: tuple[str, ...], problem: str
) -> None:
    """Each override header (any case, _ for -) and the _method query parameter, every value."""
    found = method_override(headers, query, allowed)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ([("X-HTTP-Method-Override", "GET")], ""),
        ([("X-HTTP-Method-Override", " get ")], ""),
        ([("X-Other", "DELETE")], "method=DELETE"),
        ([], "_method=POST"),
        ([], ""),
    ],
)
def test_overrides_naming_an_allowed_method_pass(
    headers: list[tuple[str, str]], query: str
) -> None:
    """Google's POST + X-HTTP-Method-Override: GET, and unrelated names, are forwarded."""
    assert method_override(headers, query, GET_POST) is None


@pytest.mark.parametrize(
    ("content_type", "body", "problem"),
    [
        ("application/x-www-form-urlencoded", b"a=1&_method=DELETE", "'DELETE'"),
        ("Application/X-WWW-Form-Urlencoded; charset=utf-8", b"_method=put", "'PUT'"),
        ("", b"_method=DELETE", "'DELETE'"),
        ("application/json", b'{"id": 1, "_method": "DELETE"}', "'DELETE'"),
        ("application/vnd.api+json; charset=utf-8", b'{"_METHOD": "patch"}', "'PATCH'"),
        ("application/x-www-form-urlencoded", b"%5Fmethod=DELETE", "'DELETE'"),
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n',
            "'DELETE'",
        ),
        (
            "multipart/form-data; boundary=b",
            b"--b\r\ncontent-disposition: form-data; name=_method\r\nX: y\r\n\r\nPATCH\r\n--b--",
            "'PATCH'",
        ),
    ],
)
def test_a_method_override_body_field_is_named(
    content_type: str, body: bytes, problem: str
) -> None:
    """Rails and Laravel read _method from url-encoded, untyped, multipart and JSON bodies."""
    found = body_method_override(content_type, body, GET_POST)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"_method=POST"),
        ("application/json", b'{"_method": "POST", "x": "DELETE"}'),
        ("application/json", b'[{"_method": "DELETE"}]'),
        ("application/json", b'{"_method": "DELETE"'),
        ("text/plain", b"_method=DELETE"),
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="_method"\r\n\r\nDELETE',
        ),
    ],
)
def test_bodies_without_a_refused_form_override_pass(content_type: str, body: bytes) -> None:
    """Allowed values, nested or broken JSON, plain text and files named _method pass."""
    assert body_method_override(content_type, body, GET_POST) is None
