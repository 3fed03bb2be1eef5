"""Fleet scale on one host: the operator's side with N pending proposals across many bottles.

For each N (``--sizes=10,100,500,10000`` by default) a fresh state dir is built the way the
real components build it, no containers: ``bb start``'s `save_record` writes each bottle's
``bottle.json``, the bottle's `QueueStore` holds its proposals (``--per-bottle`` pending
ones each, some of them decided by the operator, and a quarter as many archived ones, each
through the whole submit/decide/claim/archive lifecycle), `ApprovalKey.create_file` its key,
and the egress proxy's `AuditLog` its audit log (``--audit-per-proposal`` lines per pending
proposal). Then, over all bottles:

* ``bb list --json`` and ``bb queue list --json``, each as a fresh process (what a user runs);
* the audit read: ``bb audit --all --json`` when the CLI has it, otherwise (reported as such) a
  parse of every bottle's ``logs/egress-audit.jsonl`` into JSON objects, the read such a
  command must do;
* the TUI (`make_app`, Textual's Pilot): first paint (until the table shows proposals) and
  one refresh (``g``, until its worker is done);
* one decision's cost through `Operator.decide`, and the approval latency: the real
  `bb_egress.queue_channel.QueueChannel` holds a request (``ask``) in one bottle, the
  operator decides, and the time from the decision to ``ask`` returning is measured;
* the host process's open file descriptors and inotify watches while the TUI runs.

``growth`` gives, for every figure and each pair of successive N, the fitted exponent
``log(t2/t1) / log(N2/N1)``: 1 is linear, 2 quadratic, below 1 sub-linear (fixed costs
such as interpreter start-up dominate small N). Options: ``--sizes=``, ``--per-bottle=``
(default 10), ``--audit-per-proposal=`` (default 10), ``--poll=`` (queue channel poll
seconds, default 0.5, the proxy's). Speed is reported, never asserted.

``--bottles=2,4,7,10`` also measures real ``shell`` bottles (Docker, the built images),
printed as ``real_bottles`` beside the growth table (``--sizes=`` empty: only them):
it starts bottles one at a time up to each step, records each ``bb start``'s time, the
memory of every container role (``docker stats --no-stream``) and the host's
``MemAvailable`` drop per bottle, stops at the first failed start or when fewer than
``--min-free-subnets=`` (default 6) of Docker's 31 default address pools would be left for
the engine's other users, and removes every bottle it started with ``bb rm``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bb_cli.applicator import Operator, discover_bottles
from bb_cli.state import BottleRecord, save_record
from bb_egress.audit import AuditLog, AuditRecord
from bb_egress.queue_channel import QueueChannel
from bb_egress.token_approval import TokenProposal
from bb_protocol.paths import STATE_DIR_ENV, approval_key_file, bottle_dir, queue_dir, routes_file
from bb_protocol.queue import ApprovalKey, Approve, QueueStore
from bb_protocol.testing import sample_request

os.environ.setdefault("BOT_BOTTLE_LOG_LEVEL", "warn")  # else one info line per proposal

_KINDS = ("egress-token-allow", "capability-block", "gitleaks-allow", "egress-allow")


def _option(args: list[str], name: str, default: str) -> str:
    for arg in args:
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return default


@contextmanager
def _state_env(root: Path) -> Iterator[dict[str, str]]:
    """Point every host component at ``root`` (they read ``$BOT_BOTTLE_STATE_DIR``)."""
    old = os.environ.get(STATE_DIR_ENV)
    os.environ[STATE_DIR_ENV] = str(root)
    try:
        yield {STATE_DIR_ENV: str(root)}
    finally:
        if old is None:
            os.environ.pop(STATE_DIR_ENV, None)
        else:
            os.environ[STATE_DIR_ENV] = old


def _build(env: dict[str, str], pending: int, per_bottle: int, audit_per: int) -> list[str]:
    """Write the state of ``ceil(pending / per_bottle)`` bottles; their slugs."""
    slugs: list[str] = []
    left = pending
    index = 0
    while left > 0:
        slug = f"fleet-{index:05d}"
        index += 1
        here = min(per_bottle, left)
        left -= here
        slugs.append(slug)
        save_record(
            BottleRecord(
                slug=slug,
                agent="shell",
                bottle="default",
                runtime="shell",
                backend="compose",
                project=f"bb-{slug}",
                agent_container=f"bot-bottle-{slug}",
            )
        )
        store = QueueStore(queue_dir(slug, env)).ensure()
        key = ApprovalKey.create_file(approval_key_file(slug, env))
        routes = routes_file(slug, env)
        routes.parent.mkdir(parents=True, exist_ok=True)
        routes.write_text("version: 1\nroutes: []\n", encoding="utf-8")
        for i in range(max(1, here // 4)):  # decided, acted on and archived by the owner
            proposal = store.submit(slug, sample_request("capability-block", f"done{i}"))
            store.decide(proposal.id, Approve(reason="ok"), key, decided_by="bench@host")
            response = store.claim(proposal, key)
            store.archive(proposal, "approved", by="supervise", response=response)
        for i in range(here):
            proposal = store.submit(slug, sample_request(_KINDS[i % len(_KINDS)], str(i)))
            if i % 5 == 4:  # decided, its owner not yet done
                store.decide(proposal.id, Approve(reason="ok"), key, decided_by="bench@host")
        log = AuditLog(bottle_dir(slug, env) / "logs" / "egress-audit.jsonl")
        for i in range(here * audit_per):
            log.write(
                AuditRecord(
                    bottle=slug,
                    method="GET",
                    host="pypi.org",
                    port=443,
                    path=f"/simple/pkg{i}/",
                    route="https://pypi.org:443",
                    decision="allow" if i % 7 else "deny",
                    reason=None if i % 7 else "no-route",
                )
            )
        log.close()
    return slugs


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _cli(*argv: str) -> Callable[[], object]:
    def run() -> object:
        done = subprocess.run(
            [sys.executable, "-m", "bb_cli", *argv], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"bb {' '.join(argv)} failed: {done.stderr[-500:]}")
        return done.stdout

    return run


def _has_audit_command() -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "bb_cli", "audit", "--help"], capture_output=True, check=False
    )
    return done.returncode == 0


def _scan_audit_logs(env: dict[str, str]) -> int:
    """What a ``bb audit`` must at least do: parse every bottle's audit log."""
    lines = 0
    root = Path(env[STATE_DIR_ENV]) / "bottles"
    for path in sorted(root.glob("*/logs/egress-audit.jsonl")):
        with path.open("rb") as handle:
            for line in handle:
                json.loads(line)
                lines += 1
    return lines


def _fds_and_watches() -> dict[str, int]:
    fds = os.listdir("/proc/self/fd")
    watches = 0
    inotify = 0
    for fd in fds:
        try:
            with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as handle:
                lines = [line for line in handle if line.startswith("inotify wd:")]
        except OSError:
            continue
        if lines:
            inotify += 1
            watches += len(lines)
    return {"open_fds": len(fds), "inotify_instances": inotify, "inotify_watches": watches}


async def _tui(env: dict[str, str], pending: int) -> dict[str, Any]:
    """First paint and one refresh of the real app, driven by Pilot."""
    from textual.widgets import DataTable

    from bb_cli.tui.app import make_app

    app = make_app(Path(env[STATE_DIR_ENV]), poll_interval=3600.0)
    started = time.perf_counter()
    async with app.run_test(size=(200, 60)) as pilot:
        while True:
            try:
                table = app.screen.query_one("#proposals", DataTable)
            except Exception:  # the screen is not mounted yet
                table = None
            if table is not None and table.row_count > 0:
                break
            if time.perf_counter() - started > 600:
                raise TimeoutError("the TUI did not paint its proposals within 600 s")
            await pilot.pause(0.01)
        first_paint = time.perf_counter() - started
        rows = table.row_count
        refreshes = []
        for _ in range(3):
            began = time.perf_counter()
            await pilot.press("g")
            await app.workers.wait_for_complete()
            await pilot.pause()
            refreshes.append(time.perf_counter() - began)
        resources = _fds_and_watches()
    return {
        "first_paint_s": round(first_paint, 4),
        "refresh_s": round(sorted(refreshes)[1], 4),
        "table_rows": rows,
        "pending": pending,
        **resources,
    }


async def _approval(env: dict[str, str], slug: str, poll: float) -> dict[str, float]:
    """Decision cost and decision-to-release latency of one held request."""
    store = QueueStore(queue_dir(slug, env))
    channel = QueueChannel(store, ApprovalKey.load(approval_key_file(slug, env)), poll)
    proposal = TokenProposal(
        bottle=slug,
        host="api.github.com",
        method="POST",
        path="/bench",
        detectors=("github-pat",),
        previews=("ghp_****",),
        fingerprint="1" * 64,
    )
    held = asyncio.create_task(channel.ask(proposal, timeout=600))
    waiting = None
    deadline = time.monotonic() + 60
    while waiting is None:
        waiting = next(
            (e for e in store.pending() if getattr(e.proposal.request, "path", "") == "/bench"),
            None,
        )
        if time.monotonic() > deadline:
            raise TimeoutError("the held request's proposal never appeared")
        await asyncio.sleep(0.01)
    operator = Operator(discover_bottles(env), reload_for=lambda _b: _NoReload())
    began = time.perf_counter()
    await asyncio.to_thread(
        operator.decide, waiting.proposal.id, Approve(reason="bench"), seen_sha256=None
    )
    decided = time.perf_counter()
    verdict = await held
    released = time.perf_counter()
    assert verdict.approved, verdict
    return {
        "decide_s": round(decided - began, 4),
        "decision_to_release_s": round(released - decided, 4),
        "poll_interval_s": poll,
    }


class _NoReload:
    """Token allowances change no routes; nothing to signal."""

    def reload(self) -> None:
        return None


def _one(size: int, per_bottle: int, audit_per: int, poll: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bb-fleet-") as tmp, _state_env(Path(tmp)) as env:
        print(f"  fleet: building {size} pending proposals ...", file=sys.stderr)
        build_s = _timed(lambda: _build(env, size, per_bottle, audit_per))
        slugs = sorted(p.name for p in (Path(tmp) / "bottles").iterdir())
        out: dict[str, Any] = {"bottles": len(slugs), "build_s": round(build_s, 2)}
        print("  fleet: bb list / bb queue list / audit ...", file=sys.stderr)
        out["bb_list_s"] = round(_timed(_cli("list", "--json")), 4)
        out["bb_queue_list_s"] = round(_timed(_cli("queue", "list", "--json")), 4)
        if _has_audit_command():
            out["audit_read"] = "bb audit --all --json"
            out["audit_s"] = round(_timed(_cli("audit", "--all", "--json")), 4)
        else:
            out["audit_read"] = "no `bb audit` yet: in-process parse of every audit log"
            out["audit_s"] = round(_timed(lambda: _scan_audit_logs(env)), 4)
        print("  fleet: TUI ...", file=sys.stderr)
        out["tui"] = asyncio.run(_tui(env, size))
        print("  fleet: approval latency ...", file=sys.stderr)
        out["approval"] = asyncio.run(_approval(env, slugs[-1], poll))
        shutil.rmtree(tmp, ignore_errors=True)
    return out


_FIGURES: dict[str, Callable[[dict[str, Any]], float]] = {
    "bb_list_s": lambda r: float(r["bb_list_s"]),
    "bb_queue_list_s": lambda r: float(r["bb_queue_list_s"]),
    "audit_s": lambda r: float(r["audit_s"]),
    "tui_first_paint_s": lambda r: float(r["tui"]["first_paint_s"]),
    "tui_refresh_s": lambda r: float(r["tui"]["refresh_s"]),
    "decide_s": lambda r: float(r["approval"]["decide_s"]),
    "decision_to_release_s": lambda r: float(r["approval"]["decision_to_release_s"]),
    "open_fds": lambda r: float(r["tui"]["open_fds"]),
    "inotify_watches": lambda r: float(r["tui"]["inotify_watches"]),
}


def growth(results: dict[int, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Fitted exponent of each figure between successive sizes (None when a value is 0)."""
    sizes = sorted(results)
    table: dict[str, dict[str, float | None]] = {}
    for name, get in _FIGURES.items():
        row: dict[str, float | None] = {}
        for small, big in itertools.pairwise(sizes):
            a, b = get(results[small]), get(results[big])
            key = f"{small}->{big}"
            row[key] = (
                None if a <= 0 or b <= 0 else round(math.log(b / a) / math.log(big / small), 2)
            )
        table[name] = row
    return table


def _meminfo_available_mib() -> float:
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def _mib(text: str) -> float:
    """``12.5MiB`` / ``1.2GiB`` / ``800KiB`` -> MiB."""
    units = {"KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0, "B": 1 / 1024 / 1024}
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(f"unknown memory figure {text!r}")


def _docker(*argv: str) -> str:
    return subprocess.run(
        ["docker", *argv], capture_output=True, text=True, check=True, timeout=300
    ).stdout


def _free_subnets() -> int:
    """Address pools left for new networks, with Docker's default pools (31 networks)."""
    used = len(_docker("network", "ls", "--filter", "driver=bridge", "-q").split())
    return 31 - used


def _bottle_memory(slugs: list[str]) -> dict[str, float]:
    """MiB per role (agent, egress, supervise...) averaged over ``slugs``' containers."""
    rows = _docker("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}").splitlines()
    per_role: dict[str, list[float]] = {}
    for row in rows:
        name, usage = row.split(" ", 1)
        for slug in slugs:
            if name == f"bot-bottle-{slug}":
                role = "agent"
            elif name.startswith(f"bb-{slug}-"):
                role = name[len(f"bb-{slug}-") :].rsplit("-", 1)[0]
            else:
                continue
            per_role.setdefault(role, []).append(_mib(usage.split(" / ")[0]))
    return {role: round(sum(v) / len(v), 1) for role, v in sorted(per_role.items())}


def _real_bottles(steps: list[int], min_free_subnets: int) -> dict[str, Any]:
    """Start ``shell`` bottles up to each step, measuring; remove every one at the end."""
    state = Path(tempfile.mkdtemp(prefix="bb-fleet-bottles-"))
    env = {**os.environ, STATE_DIR_ENV: str(state)}
    started: list[str] = []
    out: dict[str, Any] = {"steps": [], "stopped_because": "all steps done"}
    available_before = _meminfo_available_mib()
    try:
        for step in steps:
            times = []
            while len(started) < step:
                if _free_subnets() < min_free_subnets + 2:
                    out["stopped_because"] = (
                        f"fewer than {min_free_subnets} network address pools would be left for"
                        " other users of this engine (each bottle takes 2 of Docker's 31)"
                    )
                    break
                began = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "bb_cli", "start", "shell", "--json"],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                    timeout=600,
                )
                times.append(time.perf_counter() - began)
                if done.returncode != 0:
                    out["stopped_because"] = f"bb start failed: {done.stderr.strip()[-400:]}"
                    break
                started.append(json.loads(done.stdout)["slug"])
            memory = _bottle_memory(started)
            out["steps"].append(
                {
                    "bottles": len(started),
                    "start_s": [round(t, 2) for t in times],
                    "mib_per_container": memory,
                    "mib_per_bottle_containers": round(sum(memory.values()), 1),
                    "host_available_drop_mib_per_bottle": round(
                        (available_before - _meminfo_available_mib()) / max(1, len(started)), 1
                    ),
                    "free_subnets": _free_subnets(),
                }
            )
            if out["stopped_because"] != "all steps done":
                break
    finally:
        for slug in started:
            subprocess.run(
                [sys.executable, "-m", "bb_cli", "rm", "-f", slug],
                capture_output=True,
                env=env,
                check=False,
                timeout=300,
            )
        projects = {f"bb-{slug}" for slug in started}
        names = _docker("ps", "-a", "--format", '{{.Label "com.docker.compose.project"}}')
        networks = _docker("network", "ls", "--format", "{{.Name}}").split()
        out["left_behind"] = {
            "containers": sum(1 for n in names.split() if n in projects),
            "networks": sum(1 for n in networks if n.rsplit("_", 1)[0] in projects),
        }
        shutil.rmtree(state, ignore_errors=True)
    return out


def run(args: list[str]) -> dict[str, object]:
    sizes_text = _option(args, "sizes", "10,100,500,10000")
    sizes = [int(s) for s in sizes_text.split(",") if s]
    per_bottle = int(_option(args, "per-bottle", "10"))
    audit_per = int(_option(args, "audit-per-proposal", "10"))
    poll = float(_option(args, "poll", "0.5"))
    out: dict[str, object] = {}
    results = {size: _one(size, per_bottle, audit_per, poll) for size in sizes}
    if results:
        out |= {
            "per_bottle_pending": per_bottle,
            "audit_lines_per_pending": audit_per,
            "by_pending": {str(k): v for k, v in results.items()},
            "growth": growth(results),
        }
    bottles = _option(args, "bottles", "")
    if bottles:  # real containers: only when asked (it takes the shared engine's resources)
        steps = [int(n) for n in bottles.split(",")]
        free = int(_option(args, "min-free-subnets", "6"))
        out["real_bottles"] = _real_bottles(steps, free)
    return out
