"""End to end: `bb start` the example bottle, use it through the proxy, stop and remove it.

The bottle is the bundled ``shell`` example, extended by a local ``./.bot-bottle`` bottle
that adds one route to ``internet.test`` (plain HTTP). "The internet" is a container this
test starts on the bottle's egress-side network, answering as ``internet.test`` and
``denied.test``; it is never a real address. The bottle is started (and resumed) by
``planned_bb.py``: ``bb start``'s own plan and launcher, with the plan's test-only egress
subnet fixing that network's subnet and letting the proxy reach it (it would refuse a
private destination otherwise). No ``bb`` option or record carries that override.
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

PLANNED_BB = Path(__file__).resolve().parent / "planned_bb.py"
"""``bb start``/``bb resume`` with a test-only plan override (its docstring)."""

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]

BOTTLE = """---
extends: shell
description: the example bottle plus one test route
routes:
  - host: internet.test
    scheme: http
    port: 8000
    outbound_on_match: block
---
"""
AGENT = """---
bottle: e2e
runtime: shell
---
End-to-end test agent.
"""


@dataclass
class Run:
    """One started bottle and how to drive ``bb`` against it."""

    slug: str
    cwd: Path
    env: dict[str, str]
    origin_ip: str
    subnet: str

    def bb(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "bb_cli", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"bb {' '.join(args)}: {done.stderr}"
        return done

    def agent(self, script: str) -> subprocess.CompletedProcess[str]:
        return self.bb("exec", self.slug, "--", "sh", "-c", script, check=False)


def docker(*args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert not check or done.returncode == 0, done.stderr
    return done.stdout


def leftovers(slug: str) -> list[str]:
    """Containers, networks and volumes of the bottle's project still present."""
    label = f"label=com.docker.compose.project=bb-{slug}"
    return (
        docker("ps", "-a", "--filter", label, "--format", "{{.Names}}").split()
        + docker("network", "ls", "--filter", label, "--format", "{{.Name}}").split()
        + docker("volume", "ls", "--filter", label, "--format", "{{.Name}}").split()
        + docker(
            "ps", "-a", "--filter", f"name=bot-bottle-{slug}", "--format", "{{.Names}}"
        ).split()
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Start the bottle and the origin; always remove both."""
    cwd = tmp_path_factory.mktemp("project")
    (cwd / ".bot-bottle" / "bottles").mkdir(parents=True)
    (cwd / ".bot-bottle" / "agents").mkdir()
    (cwd / ".bot-bottle" / "bottles" / "e2e.md").write_text(BOTTLE)
    (cwd / ".bot-bottle" / "agents" / "e2e.md").write_text(AGENT)
    env = {
        **os.environ,
        "BOT_BOTTLE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
        "XDG_CONFIG_HOME": str(tmp_path_factory.mktemp("config")),
    }
    octet, third = 100 + secrets.randbelow(100), secrets.randbelow(250)
    subnet, origin_ip = f"10.{octet}.{third}.0/24", f"10.{octet}.{third}.10"
    started = subprocess.run(
        [sys.executable, str(PLANNED_BB), "start", "e2e", "--egress-subnet", subnet],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    the_run = Run(json.loads(started.stdout)["slug"], cwd, env, origin_ip, subnet)
    origin = f"bb-e2e-origin-{the_run.slug}"
    image = docker(
        "image",
        "ls",
        "--filter",
        "label=org.bot-bottle.component=supervise",
        "--filter",
        "dangling=false",
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ).split()[0]
    try:
        docker(
            "run",
            "-d",
            "--rm",
            "--name",
            origin,
            "--network",
            f"bb-{the_run.slug}_egress",
            "--ip",
            origin_ip,
            "--network-alias",
            "internet.test",
            "--network-alias",
            "denied.test",
            "--entrypoint",
            "python3",
            image,
            "-m",
            "http.server",
            "8000",
        )
        yield the_run
    finally:
        docker("rm", "-f", origin, check=False)
        if (Path(env["BOT_BOTTLE_STATE_DIR"]) / "bottles" / the_run.slug).exists():
            the_run.bb("rm", "-f", the_run.slug, check=False)


def fetch(run: Run, url: str, *extra: str) -> str:
    """The HTTP status the agent gets for ``url`` (000 when it cannot connect at all)."""
    flags = " ".join(extra)
    done = run.agent(f"curl -sS -m 10 {flags} -o /dev/null -w '%{{http_code}}' {url} || true")
    return done.stdout.strip()[-3:]


def test_allowed_origin_is_reached_through_the_proxy(run: Run) -> None:
    """The route the bottle adds lets the agent reach the origin by name, via the proxy."""
    assert fetch(run, "http://internet.test:8000/") == "200"


def test_not_allowed_origin_is_denied_by_the_proxy(run: Run) -> None:
    """A name with no route gets the proxy's 403."""
    assert fetch(run, "http://denied.test:8000/") == "403"


@pytest.mark.parametrize(
    "target", ["http://internet.test:8000/", "http://{ip}:8000/", "http://1.1.1.1/"]
)
def test_agent_cannot_bypass_the_proxy(run: Run, target: str) -> None:
    """Without the proxy nothing answers: no DNS for outside names, no route to any address."""
    assert fetch(run, target.format(ip=run.origin_ip), "--noproxy '*'") == "000"


def test_agent_reaches_supervise_directly(run: Run) -> None:
    """The MCP server answers the agent without the proxy (NO_PROXY), at the configured URL."""
    done = run.agent(
        "cat $BOT_BOTTLE_MCP_CONFIG; "
        "curl -sS -m 10 -o /dev/null -w '%{http_code}' $BOT_BOTTLE_SUPERVISE_URL || true"
    )
    assert '"url": "http://supervise:8090/mcp"' in done.stdout
    assert done.stdout.strip()[-3:] not in ("000", "403")


def test_list_json_shows_the_running_bottle(run: Run) -> None:
    """`bb list --json` has the bottle, running, with its agent container."""
    rows = {r["slug"]: r for r in json.loads(run.bb("list", "--json").stdout)}
    assert rows[run.slug]["state"] == "running"
    assert rows[run.slug]["agent_container"] == f"bot-bottle-{run.slug}"


def test_canary_reaches_the_agent_and_no_real_secret_does(run: Run) -> None:
    """The agent holds the canary; no EGRESS_TOKEN_* variable is visible inside it."""
    env = run.agent("env").stdout
    assert "BOT_BOTTLE_CANARY=" in env
    assert "EGRESS_TOKEN_" not in env


def test_no_sidecar_runs_as_root(run: Run) -> None:
    """Each sidecar's processes run as a non-zero uid (its image user when bb runs as root).

    Read from the engine (the container's user) and from the kernel (``/proc/1/status`` of
    the container's PID 1, real/effective/saved/filesystem uids).
    """
    expected = {"egress": 10001, "supervise": 10002} if os.getuid() == 0 else {}
    for role in ("egress", "supervise"):
        (container,) = docker(
            "ps",
            "--filter",
            f"label=com.docker.compose.project=bb-{run.slug}",
            "--filter",
            f"label=org.bot-bottle.role={role}",
            "--format",
            "{{.Names}}",
        ).split()
        user = docker("inspect", "--format", "{{.Config.User}}", container).strip()
        status = docker("exec", container, "cat", "/proc/1/status")
        uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
        assert user, f"{role}: no user"
        assert not user.startswith("0:"), f"{role}: user {user!r}"
        assert "0" not in uids, f"{role}: PID 1 uids {uids}"
        want = expected.get(role, os.getuid())
        assert uids == [str(want)] * 4, f"{role}: PID 1 uids {uids}, want {want}"


def test_stop_then_resume_keeps_the_workspace_with_a_fresh_canary(run: Run) -> None:
    """A resumed bottle has its workspace back and a new canary."""
    assert run.agent("echo kept > /workspace/note").returncode == 0
    before = run.agent("printenv BOT_BOTTLE_CANARY").stdout.strip()
    run.bb("stop", run.slug)
    rows = {r["slug"]: r for r in json.loads(run.bb("list", "--json").stdout)}
    assert rows[run.slug]["state"] == "stopped"
    resumed = subprocess.run(
        [sys.executable, str(PLANNED_BB), "resume", run.slug, "--egress-subnet", run.subnet],
        cwd=run.cwd,
        env=run.env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert run.agent("cat /workspace/note").stdout.strip() == "kept"
    assert run.agent("printenv BOT_BOTTLE_CANARY").stdout.strip() not in ("", before)
    assert fetch(run, "http://internet.test:8000/") == "200"


def test_stop_then_rm_leave_nothing_behind(run: Run) -> None:
    """Stopped, the bottle's containers are not running; removed, nothing of it is left."""
    run.bb("stop", run.slug)
    rows = {r["slug"]: r for r in json.loads(run.bb("list", "--json").stdout)}
    assert rows[run.slug]["state"] == "stopped"
    docker("rm", "-f", f"bb-e2e-origin-{run.slug}", check=False)
    run.bb("rm", "-f", run.slug)
    assert leftovers(run.slug) == []
    assert run.slug not in run.bb("list", "--json").stdout
