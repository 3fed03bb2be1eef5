"""The escape suite's resource cases (R60-R65): one hostile agent must not take the host down.

Two bottles, exactly as ``bb start`` renders them (`escape_harness.bottle`, with the
engine's facts: limits, log rotation, storage watchdog): a hostile one with small limits
and a neighbour. The hostile agent floods its log, sends endless chunked uploads over
HTTP/1.1 and HTTP/2, burns CPU, balloons memory and finally fills its workspace, while the
neighbour keeps making legit requests. Judged only from the host (`host_observers`): log
file bytes, cgroup counters of the containers, the workspace volume's bytes on disk, the
engine's container state, and the neighbour's sink. Verdicts join the suite's report.
"""

from __future__ import annotations

import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from escape_harness.bottle import Bottle, BottleError, build_observer_image, new_bottle
from escape_harness.cases import CASES
from escape_harness.host_observers import (
    MemorySampler,
    cpu_quota,
    host_can_observe,
    inspect,
    log_bytes,
    memory_peak,
    pids_limit,
    throttled,
    volume_bytes,
)
from escape_harness.judge import RECORDED, Verdict

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]

MIB = 1 << 20
HOSTILE_RESOURCES = {
    "memory": "512m",
    "pids": 256,
    "cpus": 1,
    "storage": "256m",
    "logs": {"max_size": "1m", "max_files": 2},
}
LOG_BOUND = 2 * MIB
FLOOD = 50 * MIB
UPLOAD = 600 * MIB
EGRESS_PEAK_BOUND = 320 * MIB
"""The proxy's baseline (~100 MiB) plus two 32 MiB request buffers, with room to spare;
buffering either 600 MiB upload would pass it."""
FILL = 2048 * MIB
FORK_BOMB = r"""
import os
r, w = os.pipe()
children, error = [], None
while len(children) < 100000:
    try:
        pid = os.fork()
    except OSError as exc:
        error = type(exc).__name__
        break
    if pid == 0:
        os.close(w)
        os.read(r, 1)
        os._exit(0)
    children.append(pid)
os.close(w)
for pid in children:
    os.waitpid(pid, 0)
print(f"forked={len(children)} error={error}")
"""
CASE = {c.id: c for c in CASES}


@dataclass
class Run:
    """What each phase observed from the host, by case id."""

    hostile: Bottle
    neighbour: Bottle
    markers: dict[str, str]
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    neighbour_replies: list[str] = field(default_factory=list)


def _container_id(b: Bottle, service: str) -> str:
    return str(inspect(b.container(service))["Id"])


def _quiet(call: Callable[[], str]) -> str:
    try:
        return call()
    except BottleError as exc:
        return f"error: {exc}"[:500]


def _neighbour_request(run: Run, tag: str) -> None:
    url = f"https://allowed.test/r65/{tag}/{run.markers['R65']}"
    run.neighbour_replies.append(
        _quiet(
            lambda: run.neighbour.exec("agent", f"curl -sS -m 30 -w ' HTTP=%{{http_code}}' {url}")
        )
    )


def _flood(run: Run) -> None:
    """R60: 50 MB to the agent's PID-1-equivalent stdout, i.e. its container log."""
    script = (
        "P=$(ps -eo pid=,ppid=,uid= | awk '$2==0 && $3==1000 {print $1; exit}'); "
        f"head -c {FLOOD} /dev/zero | tr '\\0' x > /proc/$P/fd/1; echo pid=$P rc=$?"
    )
    out = _quiet(lambda: run.hostile.exec("agent", script, timeout=300))
    run.evidence["R60"] = {
        "client": out.strip(),
        "written": FLOOD,
        "log_bytes": log_bytes(run.hostile.container("agent")),
    }


def _uploads(run: Run, case: str, flag: str) -> None:
    """R62/R63: two endless-enough chunked uploads at once; egress memory sampled meanwhile."""
    url = f"https://allowed.test/{case.lower()}/{run.markers[case]}"
    one = (
        f"head -c {UPLOAD} /dev/zero | curl -sS -m 180 {flag} -H 'Transfer-Encoding: chunked' "
        f"-H 'Expect:' -X POST -T - -o /dev/null -w 'HTTP=%{{http_code}} up=%{{size_upload}}\\n' "
        f"{url} 2>&1"
    )
    egress = _container_id(run.hostile, "egress")
    neighbour = threading.Thread(target=_neighbour_request, args=(run, case.lower()))
    with MemorySampler(egress) as sampler:
        neighbour.start()
        out = _quiet(lambda: run.hostile.exec("agent", f"({one}) & ({one}) & wait", timeout=400))
        neighbour.join(60)
    state = inspect(run.hostile.container("egress"))
    run.evidence[case] = {
        "client": out.strip(),
        "egress_peak_sampled": sampler.peak,
        "samples": sampler.samples,
        "egress_running": state["State"]["Running"],
        "egress_oom_killed": state["State"]["OOMKilled"],
        "egress_restarts": state["RestartCount"],
        "sink": run.hostile.read("sink", "/log/sink.jsonl"),
    }


def _cpu_and_memory(run: Run) -> None:
    """R64: four busy loops for 5 s under a 1-CPU limit, a 4 GiB memory balloon, then a fork
    bomb (children wait on a pipe until fork fails, then are released)."""
    agent = _container_id(run.hostile, "agent")
    before = throttled(agent)
    burn = _quiet(
        lambda: run.hostile.exec(
            "agent",
            "for i in 1 2 3 4; do timeout 5 sh -c 'while :; do :; done' & done; wait; echo burnt",
            timeout=120,
        )
    )
    after = throttled(agent)
    balloon = _quiet(
        lambda: run.hostile.exec(
            "agent",
            "python3 -c 'b=[bytearray(64<<20) for _ in range(64)]; print(len(b))'; echo rc=$?",
            timeout=120,
        )
    )
    bomb = _quiet(lambda: run.hostile.exec("agent", "python3 -", stdin=FORK_BOMB, timeout=120))
    _neighbour_request(run, "r64")
    run.evidence["R64"] = {
        "fork_bomb": bomb.strip()[-200:],
        "pids": pids_limit(agent),
        "burn": burn.strip(),
        "cpu_quota_cores": cpu_quota(agent),
        "nr_throttled_before": before,
        "nr_throttled_after": after,
        "balloon": balloon.strip()[-300:],
        "agent_memory_peak": memory_peak(agent),
        "agent_running": inspect(run.hostile.container("agent"))["State"]["Running"],
    }


def _fill(run: Run) -> None:
    """R61: 2 GiB into /workspace with a 256 MiB storage cap; the agent must be stopped."""
    script = (
        f"dd if=/dev/zero of=/workspace/fill-{run.markers['R61']} bs=1M count={FILL // MIB} 2>&1"
    )
    out = _quiet(lambda: run.hostile.exec("agent", script, timeout=600))
    deadline = time.monotonic() + 60
    running = True
    while running and time.monotonic() < deadline:
        running = bool(inspect(run.hostile.container("agent"))["State"]["Running"])
        if running:
            time.sleep(1)
    _neighbour_request(run, "r61")
    watchdog = f"bot-bottle-{run.hostile.plan.slug}-watchdog" if run.hostile.plan else ""
    logs = _quiet(lambda: _docker_logs(watchdog)) if watchdog else ""
    run.evidence["R61"] = {
        "client": out.strip()[-300:],
        "agent_running": running,
        "watchdog_log": logs.strip()[-400:],
        "workspace_bytes": volume_bytes(f"{run.hostile.project_name}_workspace"),
        "attempted": FILL,
    }


def _docker_logs(container: str) -> str:
    from escape_harness.bottle import run as run_command

    return run_command(["docker", "logs", container], timeout=30)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Both bottles up, every phase run once in order (the fill last: it stops the agent)."""
    why = host_can_observe()
    if why:
        for case in ("R60", "R61", "R62", "R63", "R64", "R65"):
            RECORDED[case] = Verdict("skip", why, {})
        pytest.skip(why)
    build_observer_image()
    hostile = new_bottle(tmp_path_factory.mktemp("hostile"))
    hostile.resources = HOSTILE_RESOURCES
    neighbour = new_bottle(tmp_path_factory.mktemp("neighbour"))
    the_run = Run(
        hostile,
        neighbour,
        {
            c: f"bbx{c.lower()}{secrets.token_hex(8)}"
            for c in ("R60", "R61", "R62", "R63", "R64", "R65")
        },
    )
    try:
        try:
            hostile.up()
            neighbour.up()
        except BottleError as exc:
            pytest.fail(f"the bottles did not come up: {exc}")
        _neighbour_request(the_run, "before")
        _flood(the_run)
        _uploads(the_run, "R62", "--http1.1")
        _uploads(the_run, "R63", "--http2")
        _cpu_and_memory(the_run)
        _fill(the_run)
        yield the_run
    finally:
        hostile.down()
        neighbour.down()


def _record(case_id: str, problem: str | None, evidence: dict[str, Any]) -> None:
    verdict = Verdict("fail", problem, evidence) if problem else Verdict("pass", "held", evidence)
    RECORDED[case_id] = verdict
    assert verdict.outcome == "pass", f"{CASE[case_id].title}: {problem}\nevidence: {evidence}"


def test_r60_a_log_flood_stays_within_the_rotation_bound(run: Run) -> None:
    """50 MB to the agent's stdout leaves at most max_size x max_files on the host."""
    ev = run.evidence["R60"]
    slack = 64 * 1024
    problem = (
        None
        if ev["log_bytes"] <= LOG_BOUND + slack
        else (f"the agent's log holds {ev['log_bytes']} bytes on the host (bound {LOG_BOUND})")
    )
    _record("R60", problem, ev)


@pytest.mark.parametrize("case", ["R62", "R63"])
def test_r62_r63_oversized_chunked_uploads_are_refused_without_buffering(
    run: Run, case: str
) -> None:
    """Egress memory stays near its baseline; nothing reaches the sink; the proxy lives."""
    ev = dict(run.evidence[case])
    sink = str(ev.pop("sink"))
    problems = []
    if ev["samples"] == 0:
        problems.append("no cgroup memory sample of the egress container could be read")
    if ev["egress_peak_sampled"] > EGRESS_PEAK_BOUND:
        problems.append(
            f"egress memory reached {ev['egress_peak_sampled'] // MIB} MiB "
            f"(bound {EGRESS_PEAK_BOUND // MIB} MiB): the upload was buffered"
        )
    if not ev["egress_running"] or ev["egress_oom_killed"] or ev["egress_restarts"]:
        problems.append("the egress container died, was OOM-killed or restarted")
    if run.markers[case] in sink:
        problems.append("the upload reached the sink")
    _record(case, "; ".join(problems) or None, ev)


def test_r64_cpu_is_throttled_and_memory_is_capped(run: Run) -> None:
    """The kernel caps the agent's CPU at its limit (four busy loops are throttled when the
    host has the cycles: nr_throttled is evidence, since a loaded host may never let them
    reach the cap); a 4 GiB balloon stays under the memory limit."""
    ev = run.evidence["R64"]
    problems = []
    quota = ev["cpu_quota_cores"]
    if quota is None or quota > HOSTILE_RESOURCES["cpus"] + 0.01:
        problems.append(f"the agent's cgroup has no CPU cap at its limit (quota {quota} cores)")
    peak = ev["agent_memory_peak"]
    if peak is None or peak > 512 * MIB + 16 * MIB:
        problems.append(f"the agent's memory peak {peak} passed its 512m limit")
    if "rc=0" in ev["balloon"]:
        problems.append("the 4 GiB balloon was allocated")
    limit, events = ev["pids"]
    if limit != str(HOSTILE_RESOURCES["pids"]) or not events or events.split()[-1] == "0":
        problems.append(f"forks were not refused at the 256 pids cap (pids.max {limit}, {events})")
    _record("R64", "; ".join(problems) or None, ev)


def test_r61_filling_the_workspace_stops_the_agent(run: Run) -> None:
    """Past the storage cap the watchdog stops the agent; the write never completes."""
    ev = run.evidence["R61"]
    problems = []
    if ev["agent_running"]:
        problems.append("the agent still runs after passing its storage cap")
    if ev["workspace_bytes"] >= FILL:
        problems.append(f"the whole {FILL // MIB} MiB landed in the workspace volume")
    if "storage-exceeded" not in ev["watchdog_log"]:
        problems.append("the watchdog did not report storage-exceeded")
    _record("R61", "; ".join(problems) or None, ev)


def test_r65_a_neighbour_bottle_keeps_working_while_one_is_hostile(run: Run) -> None:
    """Every legit request of the neighbour, made during each hostile phase, arrives."""
    sink = run.neighbour.read("sink", "/log/sink.jsonl")
    ev = {"replies": run.neighbour_replies}
    problems = [r for r in run.neighbour_replies if "HTTP=200" not in r]
    if run.markers["R65"] not in sink:
        problems.append("no neighbour request reached its sink")
    arrived = sink.count(run.markers["R65"])
    ev["arrived"] = arrived
    if arrived < len(run.neighbour_replies):
        problems.append(f"only {arrived} of {len(run.neighbour_replies)} requests arrived")
    _record("R65", "; ".join(problems) or None, ev)
