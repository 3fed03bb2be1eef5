"""The escape suite's git-gate cases (E50, F54, F56, F57, F70-F85) against a real gate and forge.

A bottle with one repo (``tests/e2e/repo_bottle.py``: ``bb start`` with a ``git daemon``
forge only the gate can reach); the agent attacks the gate by pushing. Judged from the
outside, never by the agent's exit codes: the forge's refs, every object it holds
(reachable or not) and its daemon log, plus files named with the marker in the gate and
forge containers. Verdicts join the suite's report (``reports/escape-suite.json``).

The bottle declares one secret (``secrets: {GATE: ...}``, so the egress sidecar and the gate
hold ``EGRESS_TOKEN_GATE``); F70-F82 and F85 push it (or the agent's canary) through every channel
gitleaks does not see and are judged by the commit id: it must not be among the forge's
objects. F83 is the legit push that must still arrive; F84 checks where the secret lives.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from escape_harness.cases import CASES
from escape_harness.gitgate_attacks import (
    e50_script,
    f54_script,
    f56_script,
    f57_script,
    forge_text,
    gate_files,
)
from escape_harness.gitgate_dlp_attacks import CHANNELS, Channel, channel_script, clean_script
from escape_harness.judge import RECORDED, Verdict, needles_for
from repo_bottle import AGENT, FORGE_REPO, RepoBottle, docker, repo_bottle

from bb_protocol.paths import queue_dir

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]
CASE = {c.id: c for c in CASES}
GATE_SECRET = "Gq" + secrets.token_urlsafe(24)
"""The bottle's secret: not a provider token shape, so only the DLP pass knows it."""
SECRET_BOTTLE = "---\nextends: shell\nsecrets:\n  GATE: BB_E2E_GATE_SECRET\n---\n"


@pytest.fixture(scope="module")
def bottle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoBottle]:
    """The repo bottle (with one secret) and its forge; pending proposals rejected at the end."""
    with repo_bottle(
        tmp_path_factory.mktemp("escape-gitgate"),
        AGENT.replace("bottle: shell", "bottle: gitsecret"),
        bottles={"gitsecret": SECRET_BOTTLE},
        host_env={"BB_E2E_GATE_SECRET": GATE_SECRET},
    ) as b:
        try:
            yield b
        finally:
            for p in _pending(b):
                b.bb("queue", "reject", p["id"], "--reason", "escape suite teardown")


def _marker(case_id: str) -> str:
    return f"bbx{case_id.lower()}{secrets.token_hex(8)}"


def _pending(b: RepoBottle) -> list[dict[str, object]]:
    listed = b.bb("queue", "list", "--json", timeout=60)
    return [p for p in json.loads(listed.stdout or "[]") if p.get("status") == "pending"]


def _leaks(text: str, *values: str) -> list[str]:
    return [v for v in values if any(n in text for n in needles_for(v))]


def _record(case_id: str, problem: str | None, evidence: dict[str, object]) -> Verdict:
    verdict = (
        Verdict("fail", problem, evidence)
        if problem
        else Verdict("pass", "the forge and the gate hold no marker", evidence)
    )
    RECORDED[case_id] = verdict
    return verdict


def _assert(verdict: Verdict) -> None:
    assert verdict.outcome == "pass", f"{verdict.reason}\nevidence: {verdict.evidence}"


def _containers_clean(b: RepoBottle, marker: str) -> str | None:
    planted = gate_files(b, b.gate(), marker) + gate_files(b, b.forge, marker)
    return f"planted code ran: {planted}" if planted else None


def test_e50_symlinks_in_the_pushed_tree_forward_no_gate_file(bottle: RepoBottle) -> None:
    """Symlinks to the gate's state, /tmp, key and config: only the link text reaches the forge."""
    marker = _marker("E50")
    gate = bottle.gate()
    docker(
        "exec",
        "-u",
        "0",
        gate,
        "sh",
        "-c",
        f"echo {marker} > /var/lib/bot-bottle/gitgate/e50-secret.txt; "
        f"echo {marker} > /tmp/e50-secret.txt || true",
    )
    key = docker("exec", "-u", "0", gate, "cat", "/run/bb/approval.key", check=False).stdout
    done = bottle.agent(e50_script(), timeout=120)
    forge = forge_text(bottle)
    extra = [key.strip()] if len(key.strip()) >= 16 else []
    leaked = _leaks(forge, marker, *extra)
    arrived = bool(bottle.upstream_ref("refs/heads/bb/e50"))
    problem = (
        f"gate files reached the forge: {len(leaked)} value(s)"
        if leaked
        else None
        if arrived
        else "the symlink push did not arrive (case not exercised)"
    )
    _assert(
        _record(
            "E50",
            problem,
            {
                "arrived": arrived,
                "symlinked_gitmodules_arrived": bool(bottle.upstream_ref("refs/heads/bb/e50-gm")),
                "agent": done.stdout[-600:],
            },
        )
    )


def test_f57_repo_controlled_code_never_runs_on_the_gate(bottle: RepoBottle) -> None:
    """Hooks, drivers, fsmonitor, ext:: submodule pushed and scanned: none of it ever runs."""
    marker = _marker("F57")
    done = bottle.agent(f57_script(marker), timeout=150)
    forge = forge_text(bottle)
    arrived = bool(bottle.upstream_ref("refs/heads/bb/f57"))
    problem = (
        "marker on the forge (planted code ran)"
        if _leaks(forge, marker)
        else _containers_clean(bottle, marker)
        or (None if arrived else "the planted push did not arrive (case not exercised)")
    )
    _assert(_record("F57", problem, {"arrived": arrived, "agent": done.stdout[-600:]}))


def test_f56_injected_refs_urls_and_options_never_reach_the_forge(bottle: RepoBottle) -> None:
    """Option-like and foreign refs, URL tricks, push options: the marker commit stays out."""
    marker = _marker("F56")
    main = bottle.upstream_ref("refs/heads/main")
    done = bottle.agent(f56_script(marker), timeout=150)
    forge = forge_text(bottle)
    problem = (
        "marker on the forge"
        if _leaks(forge, marker)
        else _containers_clean(bottle, marker)
        or (None if bottle.upstream_ref("refs/heads/main") == main else "forge main moved")
    )
    _assert(_record("F56", problem, {"agent": done.stdout[-600:]}))


def _poll(what: str, probe: object, seconds: float = 90) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()  # type: ignore[operator]
        if value:
            return value
        time.sleep(1)  # bounded poll of another process's progress
    pytest.fail(f"timed out waiting for {what}")


def test_f54_only_the_approved_commit_reaches_the_forge(bottle: RepoBottle) -> None:
    """Held push approved by the operator while the agent pushes another commit to the ref."""
    approved, other = _marker("F54"), _marker("F54")
    first = subprocess.Popen(
        bottle.agent_argv(f54_script("f54a", approved)),
        env=bottle.env,
        cwd=bottle.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    second: subprocess.Popen[str] | None = None
    try:
        proposal = _poll("the held push's proposal", lambda: _pending(bottle))[0]  # type: ignore[index]
        second = subprocess.Popen(
            bottle.agent_argv(f54_script("f54b", other, "touch /tmp/f54b.ready; ", "+")),
            env=bottle.env,
            cwd=bottle.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        _poll("the second push", lambda: bottle.agent("test -f /tmp/f54b.ready").returncode == 0)
        pid, digest = str(proposal["id"]), str(proposal["sha256"])
        decided = bottle.bb(
            "queue", "approve", pid, "--reason", "escape suite operator", "--sha256", digest
        )
        assert decided.returncode == 0, decided.stderr
        out_first = first.communicate(timeout=120)[0]
        for p in _pending(bottle):  # the second push, if the gate held it: never approved
            bottle.bb("queue", "reject", str(p["id"]), "--reason", "not approved")
        out_second = second.communicate(timeout=120)[0]
    finally:
        for proc in (first, second):
            if proc and proc.poll() is None:
                proc.kill()
                proc.communicate()
    sha = bottle.agent("cat /tmp/f54a.sha").stdout.strip()
    forge = forge_text(bottle)
    at_ref = bottle.upstream_ref("refs/heads/bb/f54")
    problem = (
        "the second commit's marker reached the forge"
        if _leaks(forge, other)
        else None
        if at_ref == sha and _leaks(forge, approved)
        else f"the approved commit did not arrive (forge {at_ref or 'none'}, approved {sha})"
    )
    evidence = {
        "approved_sha": sha,
        "forge_ref": at_ref,
        "proposal": proposal["id"],
        "first": out_first[-400:],
        "second": out_second[-400:],
    }
    _assert(_record("F54", problem, evidence))


def _forge_has(b: RepoBottle, sha: str) -> bool:
    """True when the forge holds object ``sha`` (reachable or not)."""
    done = docker(
        "exec", b.forge, "git", "--git-dir", FORGE_REPO, "cat-file", "-e", sha, check=False
    )
    return done.returncode == 0


def _push_and_reject(b: RepoBottle, script: str) -> tuple[str, list[dict[str, object]]]:
    """Run ``script`` as the agent; reject the proposal its push makes (if any).

    Returns the agent's output and the findings of the held push (empty: never held).
    Bounded: the push ends on its own (refused or forwarded) or is held within 120 s.
    """
    new = queue_dir(b.slug, b.env) / "new"
    before = {f.name for f in new.glob("*.json")}
    proc = subprocess.Popen(
        b.agent_argv(script),
        env=b.env,
        cwd=b.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    findings: list[dict[str, object]] = []
    try:
        # The queue directory is read directly (a `bb queue list` per second is a Python
        # start per second); the decision goes through `bb queue reject`, as an operator's.
        held = _poll(
            "a held push or the push's end",
            lambda: (
                [f for f in new.glob("*.json") if f.name not in before]
                or (proc.poll() is not None and ["ended"])
            ),
            180,
        )
        for f in held if isinstance(held, list) else []:
            if isinstance(f, Path):
                request = json.loads(f.read_text())["request"]
                findings += list(request.get("findings", []))
                b.bb("queue", "reject", f.stem, "--reason", "escape suite: a secret")
        out = proc.communicate(timeout=120)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return out, findings


def _sha(out: str) -> str:
    return next((line[4:].strip() for line in out.splitlines() if line.startswith("sha=")), "")


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: c.case)
def test_f70_f85_a_secret_in_any_channel_never_reaches_the_forge(
    bottle: RepoBottle, channel: Channel
) -> None:
    """Binary, UTF-16, message, idents, file name, encodings, canary, note, branch name:
    held, rejected, and the commit is not among the forge's objects."""
    value = GATE_SECRET
    if channel.value == "canary":
        value = bottle.agent("printenv BOT_BOTTLE_CANARY").stdout.strip()
    out, findings = _push_and_reject(bottle, channel_script(channel, GATE_SECRET))
    sha = _sha(out)
    ref = f"refs/heads/bb/{channel.case.lower()}" + channel.ref_tail.replace("$S", GATE_SECRET)
    rules = sorted({str(f.get("rule_id")) for f in findings})
    by_dlp = any(r.startswith("bb-dlp:") for r in rules)
    forge = forge_text(bottle)
    problem = (
        "the case did not run (no commit made)"
        if not sha or len(value) < 16
        else f"the commit reached the forge ({sha[:12]})"
        if _forge_has(bottle, sha)
        else "the ref was created on the forge"
        if bottle.upstream_ref(ref)
        else "the value is on the forge"
        if _leaks(forge, value)
        else "the push was not held by the DLP pass"
        if not by_dlp
        else "the proposal shows the value"
        if value in json.dumps(findings)
        else None
    )
    evidence = {"sha": sha, "rules": rules, "agent": out[-500:]}
    reason = f"held by {', '.join(r for r in rules if r.startswith('bb-dlp:'))}; not on the forge"
    RECORDED[channel.case] = verdict = (
        Verdict("fail", problem, evidence) if problem else Verdict("pass", reason, evidence)
    )
    _assert(verdict)


def test_f83_a_push_without_a_secret_still_reaches_the_forge(bottle: RepoBottle) -> None:
    """The DLP pass holds nothing clean: an ordinary commit is forwarded, no proposal."""
    marker = _marker("F83")
    out, findings = _push_and_reject(bottle, clean_script(marker))
    sha = _sha(out)
    arrived = bool(sha) and bottle.upstream_ref("refs/heads/bb/f83") == sha
    problem = (
        f"a clean push was held: {[f.get('rule_id') for f in findings]}"
        if findings
        else None
        if arrived
        else f"the clean push did not arrive: {out[-300:]}"
    )
    RECORDED["F83"] = (
        Verdict("fail", problem, {"sha": sha})
        if problem
        else Verdict("pass", "the clean commit is at the forge's ref", {"sha": sha})
    )
    _assert(RECORDED["F83"])


def test_f84_the_bottle_secret_is_in_the_gate_and_never_in_the_agent(bottle: RepoBottle) -> None:
    """The gate's environment holds EGRESS_TOKEN_GATE; the agent's has no such name or value."""
    gate_env = docker("exec", bottle.gate(), "sh", "-c", "env", check=False).stdout
    agent_env = bottle.agent("env; cat /proc/1/environ 2>/dev/null | tr '\\0' '\\n'").stdout
    problems = []
    if f"EGRESS_TOKEN_GATE={GATE_SECRET}" not in gate_env:
        problems.append("the gate lacks the bottle's secret (its DLP pass would not know it)")
    if "EGRESS_TOKEN_" in agent_env or _leaks(agent_env, GATE_SECRET):
        problems.append("the agent's environment names or holds a bottle secret")
    problem = "; ".join(problems) or None
    RECORDED["F84"] = (
        Verdict("fail", problem, {})
        if problem
        else Verdict("pass", "secret in the gate's environment only", {})
    )
    _assert(RECORDED["F84"])
