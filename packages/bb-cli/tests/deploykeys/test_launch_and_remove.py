"""`bb_cli.lifecycle`: the order of a launch and a removal, with a fake backend and engine
and the FAKE forges (conftest.py): keys taken back when the start fails, nothing lost."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

import bb_cli.backends
from bb_cli.errors import StartError
from bb_cli.images import RecordingReporter
from bb_cli.lifecycle import LaunchRequest, launch, remove
from bb_cli.manifests import ManifestIndex
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity
from bb_cli.state import find_record
from bb_protocol.paths import bottle_dir

TOKEN = "test-token"  # the FAKE forges' token (conftest.py)


class Backend:
    """A backend that records what it is asked, failing ``start`` on demand."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[tuple[str, str]] = []

    def start(self, plan: BottlePlan, progress: Any) -> None:
        self.calls.append(("start", plan.slug))
        if self.fail:
            raise StartError("start sidecars", "the engine said no")

    def remove(self, slug: str) -> None:
        self.calls.append(("remove", slug))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """State under tmp_path, the forge token set."""
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TOK", TOKEN)
    return tmp_path


def _plan(tmp_path: Path, forge: Any) -> BottlePlan:
    agents = tmp_path / ".bot-bottle" / "agents"
    agents.mkdir(parents=True, exist_ok=True)
    (agents / "r.md").write_text(
        "---\nbottle: shell\nrepos:\n  - name: app\n    url: ssh://git@forge.test/org/app.git\n"
        "    known_hosts: /dev/null\n"
        f"    forge: {{kind: {forge.flavour}, repo: org/app, url: '{forge.url}',"
        " token_env: TOK}\n---\n"
    )
    index = ManifestIndex.default(cwd=tmp_path, environ={"HOME": str(tmp_path)})
    return BottlePlan.resolve(
        BottleSpec("r", index, slug="r-abc123"),
        environ={},
        image_for=lambda component: f"sha256:{component}",
        state_dir=bottle_dir,
        host=HostIdentity(1, 1),
    )


def _launch(plan: BottlePlan, backend: Backend, monkeypatch: pytest.MonkeyPatch, engine: Any):
    monkeypatch.setattr(bb_cli.backends, "get_bottle_backend", lambda name: backend)
    steps: list[tuple[str, str]] = []
    return steps, launch(
        LaunchRequest("r", planned=plan),
        progress=lambda step, state: steps.append((step, state)),
        reporter=lambda: contextlib.nullcontext(RecordingReporter()),
        engine=engine,
    )


def test_a_launch_records_provisions_then_starts(
    env: Path, forge: Any, monkeypatch: pytest.MonkeyPatch, fake_engine: Any
) -> None:
    """Record saved with the pinned images, one key on the forge, then the backend started."""
    backend = Backend()
    steps, launched = _launch(_plan(env, forge), backend, monkeypatch, fake_engine)
    assert launched.record == find_record("r-abc123")
    assert launched.record.images["egress"] == "sha256:egress"
    assert [k["title"] for k in forge.repos["org/app"]] == ["bot-bottle r-abc123"]
    assert steps == [("provision deploy keys", "start"), ("provision deploy keys", "done")]
    assert backend.calls == [("start", "r-abc123")]


def test_a_failed_start_takes_back_the_keys_it_provisioned(
    env: Path, forge: Any, monkeypatch: pytest.MonkeyPatch, fake_engine: Any
) -> None:
    """The backend's `StartError` reaches the caller; the forge holds no key of the bottle."""
    with pytest.raises(StartError, match="start sidecars"):
        _launch(_plan(env, forge), Backend(fail=True), monkeypatch, fake_engine)
    assert forge.repos["org/app"] == []


def test_a_removal_takes_back_keys_removes_containers_and_keeps_the_audit_trail(
    env: Path, forge: Any, monkeypatch: pytest.MonkeyPatch, fake_engine: Any
) -> None:
    """Keys gone from the forge, the backend asked to remove, the state moved to removed/."""
    backend = Backend()
    _, launched = _launch(_plan(env, forge), backend, monkeypatch, fake_engine)
    said: list[str] = []
    removed = remove(launched.record, say=said.append)
    assert forge.repos["org/app"] == []
    assert backend.calls[-1] == ("remove", "r-abc123")
    assert removed.deploy_keys_removed == 1
    assert removed.archive.parent == env / "state" / "removed"
    assert (removed.archive / "bottle.json").is_file()
    assert not bottle_dir("r-abc123").exists()
    assert said[0] == "removed 1 deploy key(s) from the forge"
