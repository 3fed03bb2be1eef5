"""The gate's DLP pass with a real gate process, real git and real gitleaks on loopback.

The gate gets a bottle secret and a canary in its environment (as ``bb start`` gives them);
pushes that carry them where gitleaks cannot see (binary, UTF-16, a commit's author, a
file name, gzip) are held; the proposal names the detector, never the value.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bb_testkit.gitgate import (
    Agent,
    Gate,
    Upstream,
    clean_git_env,
    decide,
    run_git,
    start_gate,
    stop_gate,
    wait_for_proposal,
)

SECRET = "Zq" + secrets.token_urlsafe(24)
CANARY = secrets.token_urlsafe(32)


@pytest.fixture
def dlp_gate(tmp_path: Path, upstream: Upstream) -> Iterator[Gate]:
    """A gate holding the bottle's secret and canary, and requiring the canary."""
    if shutil.which("gitleaks") is None:
        pytest.skip("gitleaks is not installed")
    env = {**os.environ, "EGRESS_TOKEN_API": SECRET, "EGRESS_TOKEN_CANARY": CANARY}
    started = start_gate(tmp_path, upstream.url, env=env, require_canary=True)
    try:
        yield started
    finally:
        stop_gate(started)


@pytest.fixture
def dlp_agent(tmp_path: Path, dlp_gate: Gate) -> Agent:
    env = clean_git_env(tmp_path / "agent-home")
    work = tmp_path / "agent-work"
    run_git("clone", "-q", dlp_gate.url(), str(work), env=env)
    return Agent(work, env)


def _write(agent: Agent, name: str, data: bytes) -> None:
    (agent.work / name).write_bytes(data)
    agent.git("add", "--", name)


CHANNELS = {
    "binary file": lambda a: _write(a, "blob.bin", b"\x00\x01" + SECRET.encode() + b"\x00"),
    "utf-16 file": lambda a: _write(a, "notes.txt", ("k=" + SECRET).encode("utf-16")),
    "gzip file": lambda a: _write(a, "log.gz", gzip.compress(SECRET.encode())),
    "file name": lambda a: _write(a, f"{SECRET}.txt", b"nothing here\n"),
    "canary in a text file": lambda a: _write(a, "c.txt", f"see {CANARY}\n".encode()),
}


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_a_bottle_secret_gitleaks_cannot_see_holds_the_push(
    dlp_agent: Agent, upstream: Upstream, dlp_gate: Gate, channel: str
) -> None:
    """Each channel is held with a bb-dlp finding; rejected, nothing reaches upstream."""
    before = upstream.rev("refs/heads/main")
    CHANNELS[channel](dlp_agent)
    dlp_agent.git("commit", "-q", "-m", "update")
    push = dlp_agent.push_async("origin", "HEAD:refs/heads/main")
    proposal = wait_for_proposal(dlp_gate)
    text = proposal.read_text()
    rules = {f["rule_id"] for f in json.loads(text)["request"]["findings"]}
    assert rules & {"bb-dlp:known_secrets", "bb-dlp:canary"}, rules
    assert SECRET not in text
    assert CANARY not in text
    decide(dlp_gate, proposal, "rejected", "a secret")
    output, _ = push.communicate(timeout=60)
    assert push.returncode != 0
    assert SECRET not in output
    assert upstream.rev("refs/heads/main") == before


def test_a_secret_in_the_author_name_holds_the_push(
    dlp_agent: Agent, upstream: Upstream, dlp_gate: Gate
) -> None:
    """Idents are content: the finding says it is in the commit's author."""
    dlp_agent.env["GIT_AUTHOR_NAME"] = f"Agent {SECRET}"
    dlp_agent.commit_file("a.txt", "hello\n", "plain")
    push = dlp_agent.push_async("origin", "HEAD:refs/heads/main")
    proposal = wait_for_proposal(dlp_gate)
    findings = json.loads(proposal.read_text())["request"]["findings"]
    assert ("bb-dlp:known_secrets", "<commit author>") in {
        (f["rule_id"], f["file"]) for f in findings
    }
    decide(dlp_gate, proposal, "rejected", "a secret")
    push.communicate(timeout=60)


def test_a_clean_push_still_goes_through(
    dlp_agent: Agent, upstream: Upstream, dlp_gate: Gate
) -> None:
    """No secret: forwarded, with no proposal."""
    sha = dlp_agent.commit_file("ok.py", "print('hello')\n", "fine")
    dlp_agent.git("push", "-q", "origin", "HEAD:refs/heads/main")
    assert upstream.rev("refs/heads/main") == sha
    assert not dlp_gate.proposals()


def test_a_gate_requiring_the_canary_does_not_start_without_it(
    tmp_path: Path, upstream: Upstream
) -> None:
    """Started without the bottle's canary, the gate refuses to serve (fails closed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGRESS_TOKEN_")}
    with pytest.raises(AssertionError, match="EGRESS_TOKEN_CANARY"):
        stop_gate(start_gate(tmp_path, upstream.url, env=env, require_canary=True))


def test_a_secret_in_the_branch_name_holds_the_push(
    dlp_agent: Agent, upstream: Upstream, dlp_gate: Gate
) -> None:
    """A ref name reaches upstream too: held as ``<ref name>``, never created upstream."""
    dlp_agent.commit_file("b.txt", "hello\n", "plain")
    ref = f"refs/heads/bb/{SECRET}"
    push = dlp_agent.push_async("origin", f"HEAD:{ref}")
    proposal = wait_for_proposal(dlp_gate)
    findings = json.loads(proposal.read_text())["request"]["findings"]
    assert "<ref name>" in {f["file"] for f in findings}
    # The findings never show it; the proposal's ref updates do (the operator decides on
    # exactly those refs), in the host's queue only.
    assert SECRET not in json.dumps(findings)
    decide(dlp_gate, proposal, "rejected", "a secret")
    push.communicate(timeout=60)
    assert upstream.rev(ref) is None


def test_a_secret_in_an_annotated_tag_message_holds_the_push(
    tmp_path: Path, upstream: Upstream
) -> None:
    """Tag objects are content: a tag message with the secret is held."""
    env = {**os.environ, "EGRESS_TOKEN_API": SECRET, "EGRESS_TOKEN_CANARY": CANARY}
    repos = [{"name": "app", "upstream": upstream.url, "push_refs": ["refs/tags/*"]}]
    gate = start_gate(tmp_path, upstream.url, env=env, require_canary=True, repos=repos)
    try:
        agent_env = clean_git_env(tmp_path / "tag-home")
        work = tmp_path / "tag-work"
        run_git("clone", "-q", gate.url(), str(work), env=agent_env)
        agent = Agent(work, agent_env)
        agent.git("tag", "-a", "v1", "-m", f"release notes {SECRET}")
        push = agent.push_async("origin", "refs/tags/v1")
        proposal = wait_for_proposal(gate)
        findings = json.loads(proposal.read_text())["request"]["findings"]
        assert ("bb-dlp:known_secrets", "<tag message>") in {
            (f["rule_id"], f["file"]) for f in findings
        }
        decide(gate, proposal, "rejected", "a secret")
        push.communicate(timeout=60)
        assert upstream.rev("refs/tags/v1") is None
    finally:
        stop_gate(gate)
