"""Fixtures for the TUI: a real state dir with one bottle, and an app over it."""

from __future__ import annotations

import pytest

from bb_cli.applicator import Operator, discover_bottles
from bb_protocol.paths import approval_key_file, queue_dir, routes_file
from bb_protocol.queue import ApprovalKey, QueueStore


class RecordingReload:
    """A ReloadSignal (our own interface) that counts reloads instead of signalling Docker."""

    def __init__(self) -> None:
        self.calls = 0

    def reload(self) -> None:
        self.calls += 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def env(tmp_path):
    return {"BOT_BOTTLE_STATE_DIR": str(tmp_path / "state")}


@pytest.fixture
def store(env) -> QueueStore:
    return QueueStore(queue_dir("demo", env)).ensure()


@pytest.fixture
def key(env, store) -> ApprovalKey:
    path = routes_file("demo", env)
    path.parent.mkdir(parents=True)
    path.write_text("version: 1\nroutes: []\n", encoding="utf-8")
    return ApprovalKey.create_file(approval_key_file("demo", env))


@pytest.fixture
def reload() -> RecordingReload:
    return RecordingReload()


@pytest.fixture
def operator(env, store, key, reload) -> Operator:
    return Operator(discover_bottles(env), reload_for=lambda _b: reload, decided_by="op@test")
