"""Specification of images/sidecars/Dockerfile against the contract (bb_protocol.identities).

A Dockerfile cannot import Python, so the users and the queue group it creates are checked
here against the numbers the CLI renders into ``user:``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bb_protocol.identities import QUEUE_GID, QUEUE_GROUP, SIDECAR_UIDS

DOCKERFILE = Path(__file__).resolve().parents[4] / "images" / "sidecars" / "Dockerfile"

pytestmark = pytest.mark.skipif(not DOCKERFILE.is_file(), reason="needs the source tree")


def _text() -> str:
    return DOCKERFILE.read_text(encoding="utf-8")


def test_the_queue_group_has_the_contract_gid() -> None:
    """``groupadd --gid 10100 bb-queue``, once, in the stage every sidecar is built on."""
    assert re.findall(r"groupadd --gid (\d+) (\S+)", _text()) == [(str(QUEUE_GID), QUEUE_GROUP)]


@pytest.mark.parametrize(("sidecar", "uid"), sorted(SIDECAR_UIDS.items()))
def test_each_sidecar_user_has_the_contract_uid_and_the_queue_group(sidecar: str, uid: int) -> None:
    """The image user of each sidecar: its uid, primary group bb-queue, and it is the USER."""
    text = _text()
    users = re.findall(r"useradd --uid (\d+) --gid (\S+) .* ([a-z]+)(?: \\)?\n", text)
    assert (str(uid), QUEUE_GROUP, sidecar) in users
    stage = text.split(f"AS {sidecar}\n", 1)[1].split("\nFROM ", 1)[0]
    assert f"\nUSER {sidecar}\n" in stage


def test_no_stage_runs_as_root() -> None:
    """No ``USER root`` or ``USER 0`` anywhere in the file."""
    assert not re.search(r"^USER\s+(root|0)\b", _text(), flags=re.MULTILINE)
