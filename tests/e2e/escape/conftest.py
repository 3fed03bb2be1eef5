"""Fixtures of the escape suite: one bottle, one attack run, verdicts, and the report.

The bottle comes up once per session (observers, egress, launcher assertions, agent);
every attack runs in ONE ``docker exec`` of the attacker script (cases run concurrently,
each bounded by its own timeouts); the observers' logs are read once afterwards and each
case is judged from them. At the end the report goes to ``reports/escape-suite.json`` and
a table is printed.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from escape_harness.bottle import Bottle, BottleError, build_observer_image, new_bottle
from escape_harness.cases import CASES, Case, basic_auth_needle
from escape_harness.exhaustion_phase import run_exhaustion_phase
from escape_harness.judge import RECORDED, Evidence, Logs, Verdict
from escape_harness.lookalike_phase import LOOKALIKE_CASE, run_lookalike_phase
from escape_harness.mountinfo_phase import MOUNTINFO_CASE, run_mountinfo_phase
from escape_harness.reload_phase import run_reload_phase

ROOT = Path(__file__).resolve().parents[3]
REPORT = ROOT / "reports" / "escape-suite.json"
ATTACKER = Path(__file__).resolve().parent / "escape_harness" / "agent_attacks.py"
RELOAD_CASE = "C33"
EXHAUSTION_CASE = "E49"
LATE_CASES = (MOUNTINFO_CASE, LOOKALIKE_CASE, EXHAUSTION_CASE, RELOAD_CASE)
"""Cases run one at a time after the concurrent attacks are judged, in this order."""
_VERDICTS: dict[str, Verdict] = RECORDED
_META: dict[str, Any] = {}


@pytest.fixture(scope="session")
def bottle(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bottle]:
    """The real bottle under attack, torn down with its networks and volumes."""
    runnable = [c for c in CASES if c.kind not in ("skip", "gitgate", "host")]
    b = new_bottle(tmp_path_factory.mktemp("escape"))
    b.secrets_env = {
        f"EGRESS_TOKEN_ESC_{c.id}": "ghp_" + secrets.token_hex(18) for c in runnable if c.secret
    }
    try:
        build_observer_image()
        b.up()
    except BottleError as exc:
        b.down()
        pytest.fail(f"the bottle did not come up: {exc}")
    _META["project"] = b.name
    try:
        yield b
    finally:
        b.down()


def _plan(b: Bottle, markers: dict[str, str]) -> dict[str, Any]:
    secret_of = {
        c.id: b.secrets_env[f"EGRESS_TOKEN_ESC_{c.id}"]
        for c in CASES
        if f"EGRESS_TOKEN_ESC_{c.id}" in b.secrets_env
    }
    payloads = json.loads(
        b.exec("sink", f"python3 payloads.py {secret_of['D37']} {secret_of['D40']}")
    )
    return {
        "cases": list(markers),
        "markers": markers,
        "secrets": secret_of,
        "sink_ip": b.sink_ip,
        "resolver_ip": b.resolver_ip,
        "egress_gateway": b.egress_gateway,
        "internal_gateway": b.internal_gateway(),
        "peer_ips": [ip for ip, name in b.peers().items() if name != b.container("agent")],
        "sink_ca": b.read("sink", "/testca/ca.pem"),
        "encoded": payloads["encoded"],
        "bomb": payloads["bomb"],
        "workers": 6,
    }


@pytest.fixture(scope="session")
def verdicts(bottle: Bottle) -> dict[str, Verdict]:
    """Run every attack once, read the observers once, judge every case."""
    runnable = [c for c in CASES if c.kind not in ("skip", "gitgate", "host")]
    markers = {c.id: f"bbx{c.id.lower()}{secrets.token_hex(8)}" for c in runnable}
    plan = _plan(bottle, markers)
    routes_before = bottle.routes_file.read_text()
    bottle.exec("agent", "cat > /tmp/attack.py", stdin=ATTACKER.read_text())
    raw = bottle.exec("agent", "python3 /tmp/attack.py", stdin=json.dumps(plan), timeout=420)
    client: dict[str, Any] = json.loads(raw)
    logs = Logs.parse(
        bottle.read("sink", "/log/sink.jsonl"),
        bottle.read("resolver", "/log/dns.jsonl"),
        bottle.audit_log(),
    )
    context = {
        "inject_token": bottle.inject_token,
        "hidden": {**bottle.secrets_env, "EGRESS_TOKEN_INJECT": bottle.inject_token},
        "peers": bottle.peers(),
        "queue": bottle.queue_state(),
        "routes_changed": bottle.routes_file.read_text() != routes_before,
        "host_paths": bottle.host_paths(),
    }
    _META.update(peers=context["peers"], internal_gateway=plan["internal_gateway"])
    _META.update(sink_lines=len(logs.sink), dns_lines=len(logs.dns), audit_lines=len(logs.audit))
    for case in CASES:
        if case.id not in LATE_CASES and case.kind not in ("gitgate", "host"):
            _VERDICTS[case.id] = judge(case, markers, plan, client, logs, context)
    # F91 holds a supervise call open until the operator answers; E49 and C33 disturb the
    # whole bottle. So they run alone, after the others are judged.
    client[MOUNTINFO_CASE] = run_mountinfo_phase(bottle)
    client[LOOKALIKE_CASE] = run_lookalike_phase(bottle, markers[LOOKALIKE_CASE])
    client[EXHAUSTION_CASE] = run_exhaustion_phase(bottle, markers[EXHAUSTION_CASE])
    client[RELOAD_CASE] = run_reload_phase(bottle, markers[RELOAD_CASE])
    logs = Logs.parse(
        bottle.read("sink", "/log/sink.jsonl"),
        bottle.read("resolver", "/log/dns.jsonl"),
        bottle.audit_log(),
    )
    for late in LATE_CASES:
        case = next(c for c in CASES if c.id == late)
        _VERDICTS[late] = judge(case, markers, plan, client, logs, context)
    return _VERDICTS


def judge(
    case: Case,
    markers: dict[str, str],
    plan: dict[str, Any],
    client: dict[str, Any],
    logs: Logs,
    context: dict[str, Any],
) -> Verdict:
    """A case's verdict from the observers (and its own check), never from exit codes."""
    if case.kind == "skip":
        return Verdict("skip", case.skip or "not runnable here", {})
    marker = markers[case.id]
    extra = tuple(basic_auth_needle(marker) if n == "__C34_BASIC__" else n for n in case.extra)
    ev = Evidence.gather(
        case.id,
        marker,
        plan["secrets"].get(case.id) if case.secret else None,
        client.get(case.id, {}),
        logs,
        extra,
        context,
        body_ok=case.body_ok,
    )
    evidence = {**ev.summary(), "client": _clip(ev.client)}
    if "crashed" in ev.client:
        return Verdict("fail", f"the attack itself crashed: {ev.client['crashed']}", evidence)
    problem = case.check(ev) if case.check else None
    if case.kind == "legit":
        return (
            Verdict("fail", problem, evidence) if problem else Verdict("pass", "arrived", evidence)
        )
    if ev.leaked:
        where = [
            n
            for n, hits in (("sink", ev.sink_hits), ("dns", ev.dns_hits), ("audit", ev.audit_leaks))
            if hits
        ]
        return Verdict("fail", f"marker reached {', '.join(where)}", evidence)
    if problem:
        return Verdict("fail", problem, evidence)
    return Verdict(
        "pass", "no observer saw the marker" if case.kind == "attack" else "held", evidence
    )


def _clip(value: object, limit: int = 300) -> object:
    if isinstance(value, dict):
        return {k: _clip(v, limit) for k, v in value.items()}
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "..."
    return value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Write reports/escape-suite.json and print the case table."""
    if not _VERDICTS:
        return
    rows = []
    for case in CASES:
        verdict = _VERDICTS.get(case.id)
        if verdict is None:
            continue
        rows.append(
            {
                "id": case.id,
                "security_md": case.number,
                "title": case.title,
                "path": case.path,
                "kind": case.kind,
                "judged": case.judged,
                "outcome": verdict.outcome,
                "reason": verdict.reason,
                "evidence": verdict.evidence,
            }
        )
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({"meta": _META, "cases": rows}, indent=2, default=str))
    write = terminalreporter.write_line
    terminalreporter.section("escape suite")
    counts = {o: sum(r["outcome"] == o for r in rows) for o in ("pass", "fail", "skip")}
    for r in rows:
        write(f"{r['id']:<4} {r['outcome']:<5} {r['title'][:58]:<58} {r['reason'][:70]}")
    write(f"{counts}  report: {REPORT.relative_to(ROOT)}")
