"""The compose reload signal through the engine seam: found by labels, refused clearly."""

from __future__ import annotations

from typing import Any

import pytest

from bb_cli.applicator import ReloadError
from bb_cli.applicator.reload import DockerReloadSignal
from bb_cli.engine import ContainerSummary

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"


def _egress(cid: str, slug: str, state: str = "running") -> ContainerSummary:
    return ContainerSummary(cid, f"n-{cid}", state, {PROJECT: f"bb-{slug}", SERVICE: "egress"})


def test_a_named_container_is_signalled_without_a_lookup(fake_engine: Any) -> None:
    """``container=`` skips the label search: one SIGHUP to that container."""
    fake_engine.containers_by_id = {"c1": _egress("c1", "b")}
    DockerReloadSignal(container="c1", engine=fake_engine).reload()
    assert fake_engine.calls == [("kill", ("c1", "HUP"))]


def test_a_stopped_egress_container_is_not_signalled(fake_engine: Any) -> None:
    """Only running containers count: a stopped bottle is a `ReloadError` saying so."""
    fake_engine.containers_by_id = {"c1": _egress("c1", "b", state="exited")}
    with pytest.raises(ReloadError, match="cannot find the running egress container of bottle b"):
        DockerReloadSignal(slug="b", engine=fake_engine).reload()
    assert not [c for c in fake_engine.calls if c[0] == "kill"]


def test_two_egress_containers_of_one_bottle_are_refused(fake_engine: Any) -> None:
    """Ambiguous (2 matches): refuse rather than signal the wrong proxy."""
    fake_engine.containers_by_id = {"c1": _egress("c1", "b"), "c2": _egress("c2", "b")}
    with pytest.raises(ReloadError, match="2 match"):
        DockerReloadSignal(slug="b", engine=fake_engine).reload()


def test_a_kill_the_engine_refuses_is_a_reload_error(fake_engine: Any) -> None:
    """The engine's message is kept; the applicator then restores the old routes."""
    with pytest.raises(ReloadError, match="docker kill --signal HUP gone failed"):
        DockerReloadSignal(container="gone", engine=fake_engine).reload()


def test_exactly_one_of_slug_or_container_is_required() -> None:
    """Both or neither is a programming error, caught at construction."""
    with pytest.raises(ValueError, match="exactly one"):
        DockerReloadSignal()
    with pytest.raises(ValueError, match="exactly one"):
        DockerReloadSignal(slug="b", container="c")
