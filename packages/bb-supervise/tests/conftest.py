"""Fixtures: a real queue directory, a real key and the real server, driven in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_protocol.queue import ApprovalKey, QueueStore
from bb_supervise.config import SuperviseConfig


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "approval.key"
    ApprovalKey.create_file(path)
    return path


@pytest.fixture
def routes_file(tmp_path: Path) -> Path:
    path = tmp_path / "routes" / "routes.yaml"
    path.parent.mkdir()
    path.write_text(
        "version: 1\nroutes:\n  - host: api.github.com\n    methods: [GET]\n"
        "    outbound_on_match: supervise\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def config(tmp_path: Path, key_file: Path, routes_file: Path) -> SuperviseConfig:
    return SuperviseConfig(
        bottle="demo",
        queue_dir=tmp_path / "queue",
        key_file=key_file,
        routes_file=routes_file,
        decision_timeout=5.0,
        poll_interval=0.01,
    )


@pytest.fixture
def store(config: SuperviseConfig) -> QueueStore:
    return QueueStore(config.queue_dir).ensure()


@pytest.fixture
def key(key_file: Path) -> ApprovalKey:
    return ApprovalKey.load(key_file)
