"""The gate's push flow end to end: real git on both sides, real gitleaks, real processes.

Every network endpoint is on 127.0.0.1 and started by the fixtures.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys

import pytest

from bb_protocol.queue import ApprovalKey, Approve, QueueStore
from bb_testkit.gitgate import (
    PLANTED_SECRET,
    Agent,
    Gate,
    Upstream,
    clean_git_env,
    decide,
    run_git,
    start_gate,
    stop_gate,
    wait_for_proposal,
    wait_until,
)


def test_clone_through_the_gate_sees_upstream(agent: Agent, upstream: Upstream):
    """A clone from the gate has upstream's main."""
    assert agent.git("rev-parse", "HEAD").stdout.strip() == upstream.rev("refs/heads/main")


def test_a_clean_push_goes_upstream(agent: Agent, upstream: Upstream):
    """A push with no findings is forwarded and upstream's ref moves to the pushed commit."""
    sha = agent.commit_file("src/app.py", "print('hi')\n", "add app")
    result = agent.git("push", "origin", "HEAD:refs/heads/main", check=False)
    assert result.returncode == 0, result.stderr
    assert "forwarded to upstream" in result.stderr
    assert upstream.rev("refs/heads/main") == sha


def test_a_new_allowed_branch_can_be_created(agent: Agent, upstream: Upstream):
    """Creating a branch matching a push_refs pattern works."""
    sha = agent.commit_file("notes.txt", "notes\n", "notes")
    result = agent.git("push", "origin", "HEAD:refs/heads/bb/feature", check=False)
    assert result.returncode == 0, result.stderr
    assert upstream.rev("refs/heads/bb/feature") == sha


@pytest.mark.parametrize(
    "ref", ["refs/heads/release", "refs/tags/v1", "refs/heads/bb/a/b", "refs/notes/commits"]
)
def test_a_push_to_a_ref_outside_the_manifest_is_refused(agent: Agent, upstream: Upstream, ref):
    """Only refs matching the config's push_refs may be pushed."""
    agent.commit_file("x.txt", "x\n", "x")
    result = agent.git("push", "origin", f"HEAD:{ref}", check=False)
    assert result.returncode != 0
    assert upstream.rev(ref) is None


def test_a_push_with_a_secret_is_held_then_forwarded_when_approved(
    agent: Agent, upstream: Upstream, gate: Gate
):
    """Findings hold the push; `bb queue approve`, bound to the commits, releases it."""
    sha = agent.commit_file("config.py", f'KEY = "{PLANTED_SECRET}"\n', "add config")
    push = agent.push_async("origin", "HEAD:refs/heads/main")
    proposal = wait_for_proposal(gate)
    data = json.loads(proposal.read_text())["request"]
    assert data["kind"] == "gitleaks-allow"
    assert data["commits"] == [sha]
    assert data["updates"][0]["ref"] == "refs/heads/main"
    # gitleaks and the DLP engine's token patterns both see the key, at the same place.
    assert [f["rule_id"] for f in data["findings"]] == ["aws-access-token", "bb-dlp:token_patterns"]
    assert {(f["file"], f["line"]) for f in data["findings"]} == {("config.py", 1)}
    assert PLANTED_SECRET not in proposal.read_text()
    assert upstream.rev("refs/heads/main") != sha
    approve = subprocess.run(
        [
            "bb",
            "queue",
            "approve",
            proposal.stem,
            "--reason",
            "test fixture, not a real key",
            "--bottle",
            "test-bottle",
        ],
        env={**os.environ, "BOT_BOTTLE_STATE_DIR": str(gate.host_state_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert approve.returncode == 0, approve.stderr
    output, _ = push.communicate(timeout=60)
    assert push.returncode == 0, output
    assert "approved by the operator" in output
    assert upstream.rev("refs/heads/main") == sha
    assert not gate.proposals()
    archived = gate.archived(proposal)
    assert archived["outcome"] == "approved"
    assert archived["response"]["decision"]["reason"] == "test fixture, not a real key"


def test_a_push_with_a_secret_is_refused_when_rejected(
    agent: Agent, upstream: Upstream, gate: Gate
):
    """A rejected push never reaches upstream and the agent is told why and what to do."""
    before = upstream.rev("refs/heads/main")
    agent.commit_file("config.py", f'KEY = "{PLANTED_SECRET}"\n', "add config")
    push = agent.push_async("origin", "HEAD:refs/heads/main")
    proposal = wait_for_proposal(gate)
    decide(gate, proposal, "rejected", "that is a real key")
    output, _ = push.communicate(timeout=60)
    assert push.returncode != 0
    assert "operator rejected this push (that is a real key)" in output
    assert "Remove the secrets" in output
    assert upstream.rev("refs/heads/main") == before


def test_a_gitleaks_allow_comment_does_not_hide_a_secret(
    agent: Agent, upstream: Upstream, gate: Gate
):
    """The agent writes the code, so its gitleaks:allow comments are ignored."""
    before = upstream.rev("refs/heads/main")
    agent.commit_file("c.py", f'KEY = "{PLANTED_SECRET}"  # gitleaks:allow\n', "sneaky")
    push = agent.push_async("origin", "HEAD:refs/heads/main")
    proposal = wait_for_proposal(gate)
    rules = {f["rule_id"] for f in json.loads(proposal.read_text())["request"]["findings"]}
    assert {"aws-access-token", "gitleaks-allow-comment"} <= rules
    decide(gate, proposal, "rejected", "no")
    push.communicate(timeout=60)
    assert upstream.rev("refs/heads/main") == before


def test_a_secret_in_an_earlier_commit_of_the_push_is_found(
    agent: Agent, upstream: Upstream, gate: Gate
):
    """Every new commit is scanned, not only the tip (a later commit deleting it is no help)."""
    first = agent.commit_file("c.py", f'KEY = "{PLANTED_SECRET}"\n', "add")
    agent.git("rm", "-q", "c.py")
    agent.git("commit", "-q", "-m", "remove")
    push = agent.push_async("origin", "HEAD:refs/heads/main")
    proposal = wait_for_proposal(gate)
    data = json.loads(proposal.read_text())["request"]
    assert data["findings"][0]["commit"] == first
    assert len(data["commits"]) == 2
    decide(gate, proposal, "rejected", "no")
    push.communicate(timeout=60)


def test_a_forged_decision_does_not_release_the_push(agent: Agent, upstream: Upstream, gate: Gate):
    """A response not signed with the bottle's key is quarantined; the push stays held."""
    before = upstream.rev("refs/heads/main")
    agent.commit_file("config.py", f'KEY = "{PLANTED_SECRET}"\n', "add config")
    push = agent.push_async("origin", "HEAD:refs/heads/main")
    proposal = wait_for_proposal(gate)
    forged = ApprovalKey.generate()
    store = QueueStore(gate.queue)
    pending = store.get(proposal.stem)
    store.decide(pending.id, Approve(reason="forged"), forged, decided_by="agent")
    wait_until(
        lambda: any((gate.queue / "quarantine").iterdir()), "the forged response quarantined"
    )
    assert push.poll() is None
    decide(gate, proposal, "rejected", "real decision")
    output, _ = push.communicate(timeout=60)
    assert push.returncode != 0, output
    assert "real decision" in output
    assert upstream.rev("refs/heads/main") == before


def test_a_push_held_past_the_timeout_is_refused(tmp_path, upstream: Upstream):
    """No decision in time: refused, told what to do, archived as timed_out."""
    gate = start_gate(tmp_path, upstream.url, hold_timeout_seconds=1)
    try:
        env = clean_git_env(tmp_path / "agent-home")
        run_git("clone", "-q", gate.url(), str(tmp_path / "w"), env=env)
        agent = Agent(tmp_path / "w", env)
        agent.commit_file("config.py", f'KEY = "{PLANTED_SECRET}"\n', "add config")
        result = agent.git("push", "origin", "HEAD:refs/heads/main", check=False)
        assert result.returncode != 0
        assert "no operator decision within 1s" in result.stderr
        [record] = list((gate.queue / "processed").glob("*.json"))
        assert json.loads(record.read_text())["outcome"] == "timed_out"
    finally:
        stop_gate(gate)


def test_a_non_fast_forward_push_is_refused(agent: Agent, upstream: Upstream):
    """The gate never force-pushes upstream."""
    before = upstream.rev("refs/heads/main")
    agent.git("commit", "-q", "--amend", "-m", "rewritten")
    result = agent.git("push", "-f", "origin", "HEAD:refs/heads/main", check=False)
    assert result.returncode != 0
    assert upstream.rev("refs/heads/main") == before


def test_deleting_a_branch_is_refused(agent: Agent, upstream: Upstream):
    """The gate never deletes refs upstream."""
    result = agent.git("push", "origin", ":refs/heads/main", check=False)
    assert result.returncode != 0
    assert upstream.rev("refs/heads/main") is not None


def test_a_push_larger_than_gits_post_buffer_goes_through_chunked(agent: Agent, upstream: Upstream):
    """Pushes over 1 MiB arrive with Transfer-Encoding: chunked and are decoded."""
    (agent.work / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    agent.git("add", "blob.bin")
    agent.git("commit", "-q", "-m", "big")
    sha = agent.git("rev-parse", "HEAD").stdout.strip()
    result = agent.git("push", "origin", "HEAD:refs/heads/main", check=False)
    assert result.returncode == 0, result.stderr
    assert upstream.rev("refs/heads/main") == sha


@pytest.mark.parametrize(
    ("method", "target", "statuses"),
    [
        ("CONNECT", "evil.test:443", {501}),
        ("GET", "http://evil.test/", {404}),
        ("GET", "/app.git/config", {404}),
        ("GET", "/app.git/HEAD", {404}),
        ("GET", "/other.git/info/refs?service=git-upload-pack", {404}),
        ("POST", "/app.git/git-upload-archive", {404}),
    ],
)
def test_the_gate_is_no_proxy_and_serves_nothing_but_smart_git(
    gate: Gate, method, target, statuses
):
    """CONNECT, absolute-form requests, dumb-HTTP paths and unknown repos get nothing."""
    connection = http.client.HTTPConnection("127.0.0.1", gate.port, timeout=10)
    connection.request(method, target)
    assert connection.getresponse().status in statuses
    connection.close()


def test_an_approved_push_is_refused_when_upstream_moved_meanwhile(
    tmp_path, agent: Agent, upstream: Upstream, gate: Gate
):
    """The forward is leased on the old value: a ref moved while held is not overwritten."""
    agent.commit_file("config.py", f'KEY = "{PLANTED_SECRET}"\n', "add config")
    push = agent.push_async("origin", "HEAD:refs/heads/main")
    proposal = wait_for_proposal(gate)
    other = tmp_path / "other"
    run_git("clone", "-q", upstream.url, str(other), env=upstream.env)
    (other / "other.txt").write_text("someone else\n")
    run_git("add", "other.txt", cwd=other, env=upstream.env)
    run_git(
        "-c",
        "user.name=o",
        "-c",
        "user.email=o@x.invalid",
        "commit",
        "-q",
        "-m",
        "other",
        cwd=other,
        env=upstream.env,
    )
    run_git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=other, env=upstream.env)
    moved = upstream.rev("refs/heads/main")
    decide(gate, proposal, "approved", "fixture")
    output, _ = push.communicate(timeout=60)
    assert push.returncode != 0, output
    assert "upstream refused" in output
    assert upstream.rev("refs/heads/main") == moved


def test_the_health_command_sees_a_running_gate(gate: Gate):
    """`bb-gitgate health` exits 0 against the running gate (the image's health check)."""
    result = subprocess.run(
        [sys.executable, "-m", "bb_gitgate", "health", "--port", str(gate.port)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
