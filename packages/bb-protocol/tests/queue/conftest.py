"""Fixtures: a real queue directory and a real key file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_protocol.queue import ApprovalKey, QueueStore


@pytest.fixture
def store(tmp_path: Path) -> QueueStore:
    return QueueStore(tmp_path / "queue").ensure()


@pytest.fixture
def key(tmp_path: Path) -> ApprovalKey:
    return ApprovalKey.create_file(tmp_path / "approval.key")
