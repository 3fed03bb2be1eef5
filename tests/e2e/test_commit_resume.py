"""End to end: `bb commit` a running bottle, then `bb resume` it from the snapshot.

Real Docker throughout. The bottle is the bundled ``shell`` example plus one declared
secret (so a real token exists in the egress container to look for). The snapshot must
carry the agent's home, keep the original running, and hold none of: the canary, the
token, the egress CA's private key. Resume must boot the snapshot into *fresh* volumes
(proving the state came from the image), with a new canary; a snapshot deleted behind
``bb``'s back gives a warning and a normal start.
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

BOTTLE = """---
extends: shell
description: the example bottle plus one secret for the proxy
secrets:
  E2E: BB_E2E_COMMIT_TOKEN
---
"""
AGENT = """---
bottle: commit-e2e
runtime: shell
---
Commit/resume test agent.
"""


@dataclass
class Run:
    """One started bottle, the values to look for, and how to drive ``bb``."""

    slug: str
    cwd: Path
    env: dict[str, str]
    token: str
    marker: str

    def bb(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "bb_cli", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"bb {' '.join(args)}: {done.stderr}"
        return done

    def agent(self, script: str) -> str:
        done = self.bb("exec", self.slug, "--", "sh", "-c", script, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


def docker(*args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=600, check=False
    )
    assert not check or done.returncode == 0, done.stderr
    return done.stdout


def image_contains(image: str, needles: list[str]) -> set[str]:
    """Which needles occur in the image's config or anywhere in its flattened filesystem."""
    found = {n for n in needles if n in docker("image", "inspect", image)}
    container = docker("create", "--entrypoint", "true", image).strip()
    try:
        raw = [n.encode() for n in needles]
        keep = max(len(n) for n in raw)
        with subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE) as proc:
            assert proc.stdout is not None
            tail = b""
            while chunk := proc.stdout.read(1 << 20):
                window = tail + chunk
                found |= {n.decode() for n in raw if n in window}
                tail = window[-keep:]
        assert proc.returncode == 0
    finally:
        docker("rm", "-f", container, check=False)
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Start the bottle; always remove it and every snapshot of it."""
    cwd = tmp_path_factory.mktemp("project")
    (cwd / ".bot-bottle" / "bottles").mkdir(parents=True)
    (cwd / ".bot-bottle" / "agents").mkdir()
    (cwd / ".bot-bottle" / "bottles" / "commit-e2e.md").write_text(BOTTLE)
    (cwd / ".bot-bottle" / "agents" / "commit-e2e.md").write_text(AGENT)
    token = "tok_" + secrets.token_hex(20)
    env = {
        **os.environ,
        "BOT_BOTTLE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
        "XDG_CONFIG_HOME": str(tmp_path_factory.mktemp("config")),
        "BB_E2E_COMMIT_TOKEN": token,
    }
    started = subprocess.run(
        [sys.executable, "-m", "bb_cli", "start", "commit-e2e", "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    the_run = Run(json.loads(started.stdout)["slug"], cwd, env, token, secrets.token_hex(16))
    try:
        yield the_run
    finally:
        if (Path(env["BOT_BOTTLE_STATE_DIR"]) / "bottles" / the_run.slug).exists():
            the_run.bb("rm", "-f", the_run.slug, check=False)
        for ref in docker(
            "image",
            "ls",
            f"bot-bottle-snapshot/{the_run.slug}",
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ).split():
            docker("image", "rm", "-f", ref, check=False)


def egress_ca_key_line(slug: str) -> str:
    """One base64 line of the egress CA's private key (it lives in the egress container)."""
    egress = docker(
        "ps",
        "-q",
        "--filter",
        f"label=com.docker.compose.project=bb-{slug}",
        "--filter",
        "label=com.docker.compose.service=egress",
    ).split()[0]
    pem = docker("exec", egress, "cat", "/var/lib/bot-bottle/mitmproxy/mitmproxy-ca.pem")
    body = pem.split("PRIVATE KEY-----", 1)[1].splitlines()
    return next(line for line in body if len(line) >= 60)


def state(run: Run) -> str:
    rows = {r["slug"]: r for r in json.loads(run.bb("list", "--json").stdout)}
    return str(rows[run.slug]["state"])


def test_commit_keeps_the_bottle_running_and_resume_boots_the_snapshot(run: Run) -> None:
    """Home state survives commit + resume into fresh volumes; canary, token and CA key don't."""
    run.agent(f"echo {run.marker} > /home/agent/marker")
    canary = run.agent("printenv BOT_BOTTLE_CANARY")
    assert canary
    committed = json.loads(run.bb("commit", run.slug, "--json").stdout)
    image = committed["image"]
    assert committed["preserved"] is True

    assert state(run) == "running"
    assert run.agent("cat /home/agent/marker") == run.marker

    found = image_contains(image, [run.marker, canary, run.token, egress_ca_key_line(run.slug)])
    assert found == {run.marker}, "the snapshot leaks (marker proves the scan reads files)"

    run.bb("stop", run.slug)
    # The storage watchdog mounts the volumes too (read-only): remove it with the agent.
    docker("rm", "-f", f"bot-bottle-{run.slug}", f"bot-bottle-{run.slug}-watchdog")
    docker("volume", "rm", f"bb-{run.slug}_home", f"bb-{run.slug}_workspace")
    run.bb("resume", run.slug)
    assert docker("inspect", "-f", "{{.Config.Image}}", f"bot-bottle-{run.slug}").strip() == image
    assert run.agent("cat /home/agent/marker") == run.marker
    assert run.agent("stat -c %u:%g /home/agent/marker /home/agent") == "1000:1000\n1000:1000"
    assert run.agent("touch /home/agent/new /workspace/new && echo writable") == "writable"
    assert run.agent("printenv BOT_BOTTLE_CANARY") not in ("", canary)


def test_resume_warns_and_starts_normally_when_the_snapshot_is_gone(run: Run) -> None:
    """A snapshot deleted outside bb: resume says so and boots the agent's normal image."""
    committed = json.loads(run.bb("commit", run.slug, "--json").stdout)
    run.bb("stop", run.slug)
    docker("rm", "-f", f"bot-bottle-{run.slug}")
    docker("image", "rm", committed["image"])
    resumed = run.bb("resume", run.slug)
    assert f"snapshot {committed['image']} of bottle {run.slug} no longer exists" in resumed.stderr
    assert state(run) == "running"


def test_commit_of_a_stopped_bottle_is_refused_with_the_fix(run: Run) -> None:
    """Only a running bottle can be committed; the error says to resume it first."""
    run.bb("stop", run.slug)
    done = run.bb("commit", run.slug, check=False)
    assert done.returncode == 6
    assert f"`bb resume {run.slug}` first" in done.stderr


def test_rm_keeps_the_committed_snapshot(run: Run) -> None:
    """`bb rm` removes the bottle but never the image the user committed."""
    run.bb("resume", run.slug)
    image = json.loads(run.bb("commit", run.slug, "--json").stdout)["image"]
    removed = run.bb("rm", "-f", run.slug)
    assert f"kept its snapshot {image}" in removed.stderr
    assert docker("image", "inspect", "-f", "{{.Id}}", image).strip()
