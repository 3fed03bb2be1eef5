"""End to end: a bottle with a repo clones and pushes through the git gate, never directly.

"The forge" is a ``git daemon`` container this test starts on a network of its own, which
the bottle's gate uses as its forge side (hidden ``--test-forge-network`` option); the
agent is not on it. The gate's own behaviour (gitleaks, holds, approvals) is tested in
``tests/integration/gitgate``; here we prove ``bb start`` wires it: the clone in
``/workspace``, the remote pointing at ``git-gate``, an allowed push arriving upstream, a
push outside ``push_refs`` refused, and no direct way to the forge.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]

AGENT = """---
bottle: shell
runtime: shell
git_user:
  name: Bottled Agent
  email: agent@bottle.test
repos:
  - name: app
    url: git://forge.test/app.git
    push_refs: [refs/heads/bb/*]
---
Work on app.
"""
FORGE_SCRIPT = """
set -e
mkdir -p /tmp/srv /tmp/seed
git init -q --bare -b main /tmp/srv/app.git
cd /tmp/seed && git init -q -b main && echo hello > README
git -c user.name=f -c user.email=f@f add README
git -c user.name=f -c user.email=f@f commit -qm seed
git push -q /tmp/srv/app.git main
exec git daemon --reuseaddr --export-all --enable=receive-pack --base-path=/tmp/srv /tmp/srv
"""


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300,
                          check=False)  # fmt: skip
    assert not check or done.returncode == 0, done.stderr
    return done


@dataclass
class Bottle:
    slug: str
    forge: str
    env: dict[str, str]
    cwd: Path

    def bb(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bb_cli", *args], cwd=self.cwd,
                              env=self.env, capture_output=True, text=True, timeout=600,
                              check=False)  # fmt: skip

    def agent(self, script: str) -> subprocess.CompletedProcess[str]:
        return self.bb("exec", self.slug, "--", "sh", "-c", script)

    def upstream_ref(self, ref: str) -> str:
        done = docker("exec", self.forge, "git", "--git-dir", "/tmp/srv/app.git",
                      "rev-parse", "-q", "--verify", ref, check=False)  # fmt: skip
        return done.stdout.strip()


@pytest.fixture(scope="module")
def bottle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bottle]:
    """The forge on its own network, then the bottle; both always removed."""
    token = secrets.token_hex(4)
    network, forge = f"bb-e2e-forge-{token}", f"bb-e2e-forge-{token}"
    agent_image = docker(
        "image", "ls", "--filter", "label=org.bot-bottle.component=agent",
        "--filter", "dangling=false", "--format", "{{.Repository}}:{{.Tag}}",
    ).stdout.split()[0]  # fmt: skip
    cwd = tmp_path_factory.mktemp("project")
    (cwd / ".bot-bottle" / "agents").mkdir(parents=True)
    (cwd / ".bot-bottle" / "agents" / "repo.md").write_text(AGENT)
    env = {**os.environ, "BOT_BOTTLE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
           "XDG_CONFIG_HOME": str(tmp_path_factory.mktemp("config"))}  # fmt: skip
    docker("network", "create", network)
    slug = ""
    try:
        docker("run", "-d", "--rm", "--name", forge, "--network", network,
               "--network-alias", "forge.test", "--entrypoint", "sh", agent_image,
               "-c", FORGE_SCRIPT)  # fmt: skip
        started = subprocess.run(
            [sys.executable, "-m", "bb_cli", "start", "repo", "--json",
             "--test-forge-network", network],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        slug = json.loads(started.stdout)["slug"]
        yield Bottle(slug, forge, env, cwd)
    finally:
        if slug:
            Bottle(slug, forge, env, cwd).bb("rm", slug)
        docker("rm", "-f", forge, check=False)
        docker("network", "rm", network, check=False)


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
