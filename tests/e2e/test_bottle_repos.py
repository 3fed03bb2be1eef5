"""End to end: a bottle with a repo clones and pushes through the git gate, never directly.

"The forge" is a ``git daemon`` container on a network of its own, which the bottle's
gate uses as its forge side (``repo_bottle.py``); the agent is not on it. The gate's own
behaviour (gitleaks, holds, approvals) is tested in ``tests/integration/gitgate``; here
we prove ``bb start`` wires it: the clone in ``/workspace``, the remote pointing at
``git-gate``, an allowed push arriving upstream, a push outside ``push_refs`` refused, and
no direct way to the forge.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repo_bottle import RepoBottle as Bottle
from repo_bottle import docker, repo_bottle

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]


@pytest.fixture(scope="module")
def bottle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bottle]:
    """The forge on its own network, then the bottle; both always removed."""
    with repo_bottle(tmp_path_factory.mktemp("repos")) as b:
        yield b


def test_repo_is_cloned_through_the_gate(bottle: Bottle) -> None:
    """/workspace/app is a clone whose origin is the gate, at upstream's commit."""
    done = bottle.agent("cd /workspace/app && git remote get-url origin && cat README")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["http://git-gate:8070/app.git", "hello"]


def test_clean_push_to_an_allowed_ref_reaches_upstream(bottle: Bottle) -> None:
    """A clean commit pushed to bb/* arrives upstream, committed as the manifest's git user."""
    done = bottle.agent(
        "cd /workspace/app && echo change >> README && git commit -qam change && "
        "git push -q origin HEAD:refs/heads/bb/work && git log -1 --format=%an"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Bottled Agent"
    assert bottle.upstream_ref("refs/heads/bb/work")


def test_push_outside_push_refs_is_refused(bottle: Bottle) -> None:
    """main is not in push_refs: the gate refuses and upstream's main does not move."""
    before = bottle.upstream_ref("refs/heads/main")
    done = bottle.agent("cd /workspace/app && git push origin HEAD:refs/heads/main 2>&1")
    assert done.returncode != 0
    assert bottle.upstream_ref("refs/heads/main") == before


def test_agent_cannot_reach_the_forge_directly(bottle: Bottle) -> None:
    """The forge's name does not resolve from the agent and no proxy relays git://."""
    done = bottle.agent("git ls-remote git://forge.test/app.git 2>&1")
    assert done.returncode != 0


def test_the_gate_does_not_run_as_root(bottle: Bottle) -> None:
    """The gate's PID 1 runs as uid 10003 in group bb-queue when bb runs as root (else the
    operator's uid), read from the kernel."""
    status = docker("exec", bottle.gate(), "cat", "/proc/1/status").stdout
    uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
    gids = next(line for line in status.splitlines() if line.startswith("Gid:")).split()[1:]
    want = ("10003", "10100") if os.getuid() == 0 else (str(os.getuid()), str(os.getgid()))
    assert uids == [want[0]] * 4
    assert gids == [want[1]] * 4
