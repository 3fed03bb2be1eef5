"""End to end, with a real engine: the everyday commands of issue 15 on one shell bottle.

Progress is one plain line per step when not a terminal; `bb cp` both ways and its refusal
outside the workspace; `bb rm` of a running bottle needs -f; `bb stop --json`; exec and
attach on a stopped bottle say so and how to resume; `bb commit`, `bb snapshots ls`,
`bb resume` saying it boots the snapshot, `bb rm -f --json` keeping it, `bb snapshots rm`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]


@dataclass
class Bottle:
    """A started bundled shell bottle and how to drive ``bb`` against it."""

    slug: str
    cwd: Path
    env: dict[str, str]
    start_stderr: str

    def bb(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bb_cli", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture(scope="module")
def bottle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bottle]:
    """`bb start shell` (no key needed); always removed, its snapshots too."""
    cwd = tmp_path_factory.mktemp("project")
    env = {
        **os.environ,
        "BOT_BOTTLE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
        "XDG_CONFIG_HOME": str(tmp_path_factory.mktemp("config")),
    }
    started = subprocess.run(
        [sys.executable, "-m", "bb_cli", "start", "shell", "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert started.returncode == 0, started.stderr
    the = Bottle(json.loads(started.stdout)["slug"], cwd, env, started.stderr)
    try:
        yield the
    finally:
        the.bb("rm", "-f", the.slug)
        refs = subprocess.run(
            [
                "docker",
                "image",
                "ls",
                "--filter",
                f"reference=bot-bottle-snapshot/{the.slug}:*",
                "--format",
                "{{.Repository}}:{{.Tag}}",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        for ref in refs:
            subprocess.run(["docker", "image", "rm", ref], capture_output=True, check=False)


def test_start_prints_each_step_once_as_a_plain_line(bottle: Bottle) -> None:
    """Not a terminal: `ok STEP (Ns)` once per step, no spinner or colour codes."""
    steps = [line for line in bottle.start_stderr.splitlines() if line.startswith("ok ")]
    names = [line.rsplit(" (", 1)[0] for line in steps]
    assert "ok start agent" in names
    assert len(names) == len(set(names))
    assert "\x1b[" not in bottle.start_stderr


def test_cp_copies_into_the_workspace_and_back_out(bottle: Bottle, tmp_path: Path) -> None:
    """Host -> SLUG:PATH (relative to /workspace) -> host, contents intact."""
    source = tmp_path / "data.txt"
    source.write_text("payload 42\n")
    copied = bottle.bb("cp", str(source), f"{bottle.slug}:data.txt")
    assert copied.returncode == 0, copied.stderr
    inside = bottle.bb("exec", bottle.slug, "--", "cat", "/workspace/data.txt")
    assert inside.stdout == "payload 42\n"
    back = bottle.bb("cp", f"{bottle.slug}:/workspace/data.txt", str(tmp_path / "back.txt"))
    assert back.returncode == 0, back.stderr
    assert (tmp_path / "back.txt").read_text() == "payload 42\n"


@pytest.mark.parametrize(
    "target", ["/etc/profile.d/x.sh", "../etc/passwd", "/workspace/../usr/x", "/tmp/x"]
)
def test_cp_refuses_to_write_outside_the_workspace_and_home(
    bottle: Bottle, tmp_path: Path, target: str
) -> None:
    """Exit 2 with the rule; nothing reaches Docker."""
    (tmp_path / "x").write_text("x")
    done = bottle.bb("cp", str(tmp_path / "x"), f"{bottle.slug}:{target}")
    assert done.returncode == 2, done.stderr
    assert "writes only below /workspace, /home/agent" in done.stderr


def test_rm_of_a_running_bottle_needs_force_without_a_terminal(bottle: Bottle) -> None:
    """No terminal to ask on: refused with exit 2, the bottle still runs."""
    done = bottle.bb("rm", bottle.slug)
    assert done.returncode == 2
    assert "add -f" in done.stderr
    state = json.loads(bottle.bb("list", "--json").stdout)[0]["state"]
    assert state == "running"


def test_commit_then_snapshots_ls_lists_it(bottle: Bottle) -> None:
    """The snapshot `bb commit` made is listed, its bottle live."""
    assert bottle.bb("commit", bottle.slug).returncode == 0
    rows = json.loads(bottle.bb("snapshots", "ls", "--json").stdout)
    mine = [r for r in rows if r["slug"] == bottle.slug]
    assert len(mine) == 1
    assert mine[0]["bottle"] == "live"


def test_stop_json_then_exec_and_attach_say_it_is_stopped(bottle: Bottle) -> None:
    """`bb stop --json` reports it; exec/attach: exit 6, 'is stopped', `bb resume SLUG`."""
    stopped = bottle.bb("stop", bottle.slug, "--json")
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout) == [{"slug": bottle.slug, "state": "stopped"}]
    for args in (("exec", bottle.slug, "--", "true"), ("attach", bottle.slug)):
        done = bottle.bb(*args)
        assert done.returncode == 6, done.stderr
        assert "is stopped" in done.stderr
        assert f"`bb resume {bottle.slug}`" in done.stderr
        assert "Traceback" not in done.stderr


def test_resume_says_it_boots_the_snapshot(bottle: Bottle) -> None:
    """The committed bottle resumes from its snapshot, and says so."""
    done = bottle.bb("resume", bottle.slug)
    assert done.returncode == 0, done.stderr
    assert f"booting {bottle.slug} from its snapshot bot-bottle-snapshot/{bottle.slug}:" in (
        done.stderr
    )


def test_rm_keeps_the_snapshot_which_boots_a_new_bottle_and_can_be_deleted(
    bottle: Bottle,
) -> None:
    """rm -f --json names the kept snapshot, listed as of a removed bottle; `bb resume
    --snapshot` boots a new bottle from it (the workspace file inside); then it is deleted."""
    removed = bottle.bb("rm", "-f", bottle.slug, "--json")
    assert removed.returncode == 0, removed.stderr
    [outcome] = json.loads(removed.stdout)
    assert outcome["state"] == "removed"
    ref = outcome["snapshot"]
    assert ref.startswith(f"bot-bottle-snapshot/{bottle.slug}:")
    rows = {r["ref"]: r for r in json.loads(bottle.bb("snapshots", "ls", "--json").stdout)}
    assert rows[ref]["bottle"] == "removed"
    reborn = bottle.bb("resume", "--snapshot", ref, "--json")
    assert reborn.returncode == 0, reborn.stderr
    assert f"bottle {bottle.slug} was removed: starting a new shell bottle" in reborn.stderr
    new_slug = json.loads(reborn.stdout)["slug"]
    try:
        kept = bottle.bb("exec", new_slug, "--", "cat", "/workspace/data.txt")
        assert kept.stdout == "payload 42\n", kept.stderr
    finally:
        assert bottle.bb("rm", "-f", new_slug).returncode == 0
    deleted = bottle.bb("snapshots", "rm", ref)
    assert deleted.returncode == 0, deleted.stderr
    rows = {r["ref"] for r in json.loads(bottle.bb("snapshots", "ls", "--json").stdout)}
    assert ref not in rows
