"""A bottle with one repo and its test forge, shared by the e2e tests that need a git gate.

"The forge" is a ``git daemon`` container on a network of its own (``--verbose``, so its
log records every request it serves), which the bottle's gate uses as its forge side
(the plan's test-only ``test_forge_network``, set by ``planned_bb.py``: no ``bb`` option
exposes it); the agent is not on it. Used by
``test_bottle_repos.py`` and the escape suite's git-gate cases.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AGENT", "FORGE_REPO", "RepoBottle", "docker", "repo_bottle"]

PLANNED_BB = Path(__file__).resolve().parent / "planned_bb.py"
"""``bb start`` with a test-only plan override: the forge network (its docstring)."""

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
FORGE_REPO = "/tmp/srv/app.git"
FORGE_SCRIPT = """
set -e
mkdir -p /tmp/srv /tmp/seed
git init -q --bare -b main /tmp/srv/app.git
cd /tmp/seed && git init -q -b main && echo hello > README
git -c user.name=f -c user.email=f@f add README
git -c user.name=f -c user.email=f@f commit -qm seed
git push -q /tmp/srv/app.git main
exec git daemon --verbose --reuseaddr --export-all --enable=receive-pack \
  --base-path=/tmp/srv /tmp/srv
"""


def docker(
    *args: str,
    check: bool = True,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI (bounded); with ``check`` a failure fails the test with stderr."""
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=300, check=False, input=stdin
    )
    assert not check or done.returncode == 0, done.stderr
    return done


@dataclass
class RepoBottle:
    """A running bottle (``slug``) with repo ``app`` and its forge container."""

    slug: str
    forge: str
    env: dict[str, str]
    cwd: Path

    def bb(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bb_cli", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def agent_argv(self, script: str) -> list[str]:
        """The command line running ``script`` as the agent (for a background Popen)."""
        return [sys.executable, "-m", "bb_cli", "exec", self.slug, "--", "sh", "-c", script]

    def agent(self, script: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return self.bb("exec", self.slug, "--", "sh", "-c", script, timeout=timeout)

    def upstream_ref(self, ref: str) -> str:
        done = docker(
            "exec",
            self.forge,
            "git",
            "--git-dir",
            FORGE_REPO,
            "rev-parse",
            "-q",
            "--verify",
            ref,
            check=False,
        )
        return done.stdout.strip()

    def gate(self) -> str:
        """The git gate's container name."""
        return docker(
            "ps",
            "-q",
            "--filter",
            f"label=com.docker.compose.project=bb-{self.slug}",
            "--filter",
            "label=com.docker.compose.service=gitgate",
        ).stdout.split()[0]


def _agent_image() -> str:
    return docker(
        "image",
        "ls",
        "--filter",
        "label=org.bot-bottle.component=agent",
        "--filter",
        "dangling=false",
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ).stdout.split()[0]


@contextmanager
def repo_bottle(
    root: Path,
    agent_md: str = AGENT,
    bottles: Mapping[str, str] | None = None,
    host_env: Mapping[str, str] | None = None,
) -> Iterator[RepoBottle]:
    """The forge on its own network, then the bottle (state under ``root``); both removed.

    ``bottles`` adds bottle manifests (``name -> text``) beside the agent's; ``host_env`` adds
    host variables for ``bb`` (the values a bottle's ``secrets`` entries name).
    """
    token = secrets.token_hex(4)
    network = forge = f"bb-e2e-forge-{token}"
    cwd, state, config = root / "project", root / "state", root / "config"
    (cwd / ".bot-bottle" / "agents").mkdir(parents=True)
    (cwd / ".bot-bottle" / "agents" / "repo.md").write_text(agent_md)
    if bottles:
        (cwd / ".bot-bottle" / "bottles").mkdir()
        for name, text in bottles.items():
            (cwd / ".bot-bottle" / "bottles" / f"{name}.md").write_text(text)
    env = {
        **os.environ,
        "BOT_BOTTLE_STATE_DIR": str(state),
        "XDG_CONFIG_HOME": str(config),
        **(host_env or {}),
    }
    docker("network", "create", network)
    slug = ""
    try:
        docker(
            "run",
            "-d",
            "--rm",
            "--name",
            forge,
            "--network",
            network,
            "--network-alias",
            "forge.test",
            "--entrypoint",
            "sh",
            _agent_image(),
            "-c",
            FORGE_SCRIPT,
        )
        started = subprocess.run(
            [sys.executable, str(PLANNED_BB), "start", "repo", "--forge-network", network],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert started.returncode == 0, started.stderr
        slug = json.loads(started.stdout)["slug"]
        yield RepoBottle(slug, forge, env, cwd)
    finally:
        if slug:
            RepoBottle(slug, forge, env, cwd).bb("rm", "-f", slug)
        docker("rm", "-f", forge, check=False)
        docker("network", "rm", network, check=False)
