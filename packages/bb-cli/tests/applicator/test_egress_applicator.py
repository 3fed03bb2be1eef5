"""EgressApplicator: validate, write atomically, reload; refuse and keep the old routes on error."""

from __future__ import annotations

import pytest

from bb_cli.applicator import EgressApplicator, InvalidChangeError, ReloadError
from bb_protocol.queue import EgressAllowRequest, EgressBlockRequest
from bb_protocol.routes import Route, parse_routes

OLD = "version: 1\nroutes:\n  - host: api.github.com\n"


class RecordingReload:
    """A ReloadSignal (our own interface) that records calls or fails on demand."""

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    def reload(self) -> None:
        self.calls += 1
        if self.fail:
            raise ReloadError("proxy unreachable")


@pytest.fixture
def routes_file(tmp_path):
    path = tmp_path / "routes" / "routes.yaml"
    path.parent.mkdir()
    path.write_text(OLD, encoding="utf-8")
    return path


def test_an_approved_route_is_written_and_the_proxy_reloaded(routes_file):
    """The file holds the new route and the proxy was signalled once."""
    reload = RecordingReload()
    EgressApplicator(routes_file, reload).apply(EgressAllowRequest(route=Route(host="pypi.org")))
    hosts = [r.host for r in parse_routes(routes_file.read_text(encoding="utf-8")).routes]
    assert hosts == ["api.github.com", "pypi.org"]
    assert reload.calls == 1


def test_a_no_op_change_does_not_signal_the_proxy(routes_file):
    """Removing an absent host writes nothing and reloads nothing."""
    reload = RecordingReload()
    EgressApplicator(routes_file, reload).apply(EgressBlockRequest(host="absent.org"))
    assert routes_file.read_text(encoding="utf-8") == OLD
    assert reload.calls == 0


def test_a_failed_reload_restores_the_old_routes(routes_file):
    """File and proxy never silently disagree."""
    applicator = EgressApplicator(routes_file, RecordingReload(fail=True))
    with pytest.raises(ReloadError):
        applicator.apply(EgressAllowRequest(route=Route(host="pypi.org")))
    assert routes_file.read_text(encoding="utf-8") == OLD


@pytest.mark.parametrize("broken", ["routes: [{host: 10.0.0.1}]\n", "routes: {oops\n"])
def test_an_invalid_current_file_is_refused_and_left_alone(routes_file, broken):
    """The applicator never builds on routes it cannot validate."""
    routes_file.write_text(broken, encoding="utf-8")
    reload = RecordingReload()
    with pytest.raises(InvalidChangeError):
        EgressApplicator(routes_file, reload).apply(EgressBlockRequest(host="a.org"))
    assert routes_file.read_text(encoding="utf-8") == broken
    assert reload.calls == 0


def test_a_missing_routes_file_is_refused(tmp_path):
    """No routes file means the bottle is not set up; nothing is invented."""
    applicator = EgressApplicator(tmp_path / "routes.yaml", RecordingReload())
    with pytest.raises(InvalidChangeError, match="cannot read"):
        applicator.apply(EgressAllowRequest(route=Route(host="pypi.org")))


def test_no_temporary_file_is_left_behind(routes_file):
    """The atomic write cleans up after itself."""
    EgressApplicator(routes_file, RecordingReload()).apply(
        EgressAllowRequest(route=Route(host="pypi.org"))
    )
    assert [p.name for p in routes_file.parent.iterdir()] == ["routes.yaml"]
