"""End to end: what the operator sees and changes (issue 15), on a real bottle.

One bottle of the bundled ``shell`` example, started with ``bb start --observe``; "the
internet" is a container on the bottle's egress-side network answering as
``internet.test`` and ``denied.test`` (as in ``test_bottle_lifecycle.py``; never a real
address). The tests run in file order on that one bottle:

* the agent's script is refused under observe mode, and every refused request is in
  ``bb audit`` with its full method, host, port and path, marked ``observed``;
* ``bb audit -f`` shows a request made inside the bottle within a second of it (a
  bounded wait on the followed output, no timing assertion on the request itself);
* ``bb routes suggest`` turns what was asked for into routes that, applied with
  ``bb routes add --from``, let the same script pass, and nothing more (``denied.test``
  stays refused); ``bb routes`` shows where each route came from;
* bad ``bb routes add``/``rm`` input is refused with a clear error and changes nothing;
* ``bb logs`` shows every component, prefixed, and says the bottle has no git gate.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

PLANNED_BB = Path(__file__).resolve().parent / "planned_bb.py"
"""``bb start`` with a test-only plan override: the egress subnet (its docstring)."""

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]

BOTTLE = """---
extends: shell
description: the example bottle, observed
---
"""
AGENT = """---
bottle: observed
runtime: shell
---
End-to-end test agent.
"""
SCRIPT = """ok=1
curl -sf -m 10 -o /dev/null http://internet.test:8000/etc/hostname || ok=0
curl -sf -m 10 -o /dev/null http://internet.test:8000/etc/os-release || ok=0
curl -sf -m 10 -o /dev/null -I http://internet.test:8000/usr/ || ok=0
[ "$ok" = 1 ] && echo SCRIPT-OK
"""
"""The agent's work: three requests, each tried; it passes when all three succeed."""


@dataclass
class Run:
    """The started bottle and how to drive ``bb`` against it."""

    slug: str
    cwd: Path
    env: dict[str, str]

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

    @property
    def routes_file(self) -> Path:
        return (
            Path(self.env["BOT_BOTTLE_STATE_DIR"])
            / "bottles"
            / self.slug
            / "routes"
            / "routes.yaml"
        )

    def audit(self) -> list[dict[str, object]]:
        out = self.bb("audit", self.slug, "--json").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]


def docker(*args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert not check or done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Start the observed bottle and the origin; always remove both."""
    cwd = tmp_path_factory.mktemp("project")
    (cwd / ".bot-bottle" / "bottles").mkdir(parents=True)
    (cwd / ".bot-bottle" / "agents").mkdir()
    (cwd / ".bot-bottle" / "bottles" / "observed.md").write_text(BOTTLE)
    (cwd / ".bot-bottle" / "agents" / "observed.md").write_text(AGENT)
    env = {
        **os.environ,
        "BOT_BOTTLE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
        "XDG_CONFIG_HOME": str(tmp_path_factory.mktemp("config")),
    }
    octet, third = 100 + secrets.randbelow(100), secrets.randbelow(250)
    subnet, origin_ip = f"10.{octet}.{third}.0/24", f"10.{octet}.{third}.10"
    started = subprocess.run(
        [
            sys.executable,
            str(PLANNED_BB),
            "start",
            "observed",
            "--observe",
            "--egress-subnet",
            subnet,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    the_run = Run(json.loads(started.stdout)["slug"], cwd, env)
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
            "--directory",
            "/",
        )
        yield the_run
    finally:
        docker("rm", "-f", origin, check=False)
        the_run.bb("rm", the_run.slug, check=False)


def test_under_observe_the_script_is_refused_and_every_request_recorded(run: Run) -> None:
    """Nothing unknown gets out; each refused request is an observation, in full."""
    done = run.agent(SCRIPT)
    assert "SCRIPT-OK" not in done.stdout
    observed = [r for r in run.audit() if r.get("observed")]
    assert observed, "no observation recorded"
    first = observed[0]
    assert (first["decision"], first["reason"]) == ("deny", "no-route")
    assert (first["method"], first["host"], first["port"]) == ("GET", "internet.test", 8000)
    assert first["path"] == "/etc/hostname"
    table = run.bb("audit", run.slug).stdout
    assert "GET internet.test:8000/etc/hostname" in table
    assert "observed" in table


def test_audit_follow_shows_a_request_from_inside_the_bottle_within_a_second(run: Run) -> None:
    """`bb audit -f` prints the decision on a request no later than a second after it."""
    marker = f"/follow-{secrets.token_hex(4)}"
    follower = subprocess.Popen(
        [sys.executable, "-m", "bb_cli", "audit", run.slug, "-f", "--json"],
        cwd=run.cwd,
        env=run.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert follower.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(x) for x in follower.stdout], daemon=True)
    reader.start()
    try:
        drained = False  # the history is printed first; then it waits for more
        while not drained:
            try:
                lines.get(timeout=3)
            except queue.Empty:
                drained = True
        run.agent(f"curl -s -m 10 -o /dev/null http://denied.test:8000{marker}")
        deadline = time.monotonic() + 1.0  # bounded wait: the line must come within a second
        seen = False
        while not seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                seen = marker in lines.get(timeout=remaining)
            except queue.Empty:
                break
        assert seen, "bb audit -f did not show the request within a second"
    finally:
        follower.terminate()
        follower.wait(timeout=30)
        reader.join(timeout=30)  # EOF once the process is gone
        follower.stdout.close()


def test_suggested_routes_applied_let_the_same_script_pass_and_nothing_more(
    run: Run, tmp_path: Path
) -> None:
    """suggest, then add --from: the script passes; another host stays refused."""
    suggested = tmp_path / "suggested.yaml"
    done = run.bb("routes", "suggest", run.slug, "--yaml", "--write", str(suggested))
    block = yaml.safe_load(done.stdout)["routes"]
    ours = [r for r in block if r["host"] == "internet.test"]
    assert len(ours) == 1
    assert (ours[0]["scheme"], ours[0]["port"]) == ("http", 8000)
    assert ours[0]["methods"] == ["GET", "HEAD"]
    assert ours[0]["paths"] == ["/etc/", "/usr/"]
    denied_hosts = {r["host"] for r in block} - {"internet.test"}
    assert denied_hosts <= {"denied.test"}  # only what was asked for
    only_ours = tmp_path / "only-ours.yaml"
    only_ours.write_text(yaml.safe_dump({"routes": ours}))
    run.bb("routes", "add", run.slug, "--from", str(only_ours))
    assert "SCRIPT-OK" in run.agent(SCRIPT).stdout
    status = run.agent(
        "curl -s -m 10 -o /dev/null -w '%{http_code}' http://denied.test:8000/etc/hostname"
    )
    assert status.stdout.strip()[-3:] == "403"
    outside = run.agent(
        "curl -s -m 10 -o /dev/null -w '%{http_code}' http://internet.test:8000/root/"
    )
    assert outside.stdout.strip()[-3:] == "403"  # a directory never seen is still refused


def test_routes_show_where_each_route_came_from(run: Run) -> None:
    """The manifest's routes say manifest; the one added above says operator."""
    rows = json.loads(run.bb("routes", run.slug, "--json").stdout)
    sources = {r["host"]: r["source"] for r in rows}
    assert sources["pypi.org"] == "manifest"
    assert sources["internet.test"] == "operator"
    assert [r["index"] for r in rows] == list(range(len(rows)))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "{slug}", "https://internet.test"), "host"),
        (("add", "{slug}", "x.test", "--method", "G T"), "not an HTTP method"),
        (("add", "{slug}", "x.test", "--path", "no-slash"), "must be a string starting with '/'"),
        (("rm", "{slug}", "99"), "no route 99"),
        (("rm", "{slug}", "never.test"), "no route for host"),
    ],
)
def test_bad_route_changes_are_refused_and_change_nothing(
    run: Run, args: tuple[str, ...], message: str
) -> None:
    """Validated like an approval: a clear error, a non-zero exit, the file untouched."""
    before = run.routes_file.read_bytes()
    done = run.bb("routes", *(a.format(slug=run.slug) for a in args), check=False)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert run.routes_file.read_bytes() == before


def test_routes_rm_takes_the_route_away_through_the_reload_path(run: Run) -> None:
    """Removing the host's routes refuses the script again, at once."""
    run.bb("routes", "rm", run.slug, "internet.test")
    assert "SCRIPT-OK" not in run.agent(SCRIPT).stdout
    assert "internet.test" not in run.routes_file.read_text()


def test_logs_show_every_component_and_explain_a_missing_gate(run: Run) -> None:
    """No -c: several components, each line prefixed; -c gitgate: a sentence, not an error."""
    done = run.bb("logs", run.slug, "--tail", "20")
    prefixes = {
        line.split("|", 1)[0].strip().split("-")[0]
        for line in done.stdout.splitlines()
        if "|" in line
    }
    assert {"egress", "supervise"} <= prefixes
    gate = run.bb("logs", run.slug, "-c", "gitgate", check=False)
    assert gate.returncode != 0
    assert "has no git gate" in gate.stderr
    assert "no such service" not in gate.stderr


def test_a_stopped_bottle_says_so_for_logs_and_refuses_route_changes(run: Run) -> None:
    """Stopped: logs are shown with a resume hint, -f is refused, a route change undone."""
    run.bb("stop", run.slug)
    shown = run.bb("logs", run.slug, "--tail", "5")
    assert f"bb resume {run.slug}" in shown.stderr
    follow = run.bb("logs", run.slug, "-f", check=False)
    assert follow.returncode != 0
    assert "stopped" in follow.stderr
    assert f"bb resume {run.slug}" in follow.stderr
    before = run.routes_file.read_bytes()
    added = run.bb("routes", "add", run.slug, "late.test", check=False)
    assert added.returncode != 0
    assert "Traceback" not in added.stderr
    assert run.routes_file.read_bytes() == before
