"""Which requests reach git http-backend at all."""

from __future__ import annotations

import pytest

from bb_gitgate.server import route


@pytest.mark.parametrize(
    ("path", "query", "method", "expected"),
    [
        ("/app.git/info/refs", "service=git-upload-pack", "GET", ("app", "git-upload-pack")),
        ("/app.git/info/refs", "service=git-receive-pack", "GET", ("app", "git-receive-pack")),
        ("/app.git/git-upload-pack", "", "POST", ("app", "git-upload-pack")),
        ("/app.git/git-receive-pack", "", "POST", ("app", "git-receive-pack")),
    ],
)
def test_the_smart_http_endpoints_are_routed(path, query, method, expected):
    """The four smart-protocol endpoints map to (repo, service)."""
    assert route(path, query, method) == expected


@pytest.mark.parametrize(
    ("path", "query", "method"),
    [
        ("/app.git/info/refs", "", "GET"),
        ("/app.git/info/refs", "service=git-upload-archive", "GET"),
        ("/app.git/HEAD", "", "GET"),
        ("/app.git/objects/info/packs", "", "GET"),
        ("/app.git/config", "", "GET"),
        ("/../etc/passwd", "", "GET"),
        ("/app.git/git-receive-pack", "", "GET"),
        ("/app.git/info/refs", "service=git-upload-pack", "POST"),
        ("/sub/app.git/info/refs", "service=git-upload-pack", "GET"),
        ("/.app.git/info/refs", "service=git-upload-pack", "GET"),
    ],
)
def test_everything_else_is_not_routed(path, query, method):
    """Dumb HTTP, other services, odd methods and odd paths get nothing."""
    assert route(path, query, method) is None
