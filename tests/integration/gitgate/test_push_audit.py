"""The gate's audit log: every push decision as a `bb_protocol.audit` line, never a secret.

Real git, gitleaks and gate processes on loopback (the fixtures of ``conftest.py``).
"""

from __future__ import annotations

import json

from bb_gitgate.receive import AUDIT_FILE
from bb_protocol.audit import AuditRecord
from bb_testkit.gitgate import PLANTED_SECRET, Agent, Gate, decide, wait_for_proposal


def _records(gate: Gate) -> list[AuditRecord]:
    path = gate.state / AUDIT_FILE
    if not path.exists():
        return []
    return [AuditRecord.model_validate_json(line) for line in path.read_text().splitlines()]


def test_a_clean_push_is_audited_as_allowed(agent: Agent, gate: Gate) -> None:
    """A forwarded push leaves one ``allow`` line naming the repository and ref."""
    agent.commit_file("src/app.py", "print('hi')\n", "add app")
    assert agent.git("push", "origin", "HEAD:refs/heads/main", check=False).returncode == 0
    (record,) = _records(gate)
    assert (record.component, record.method, record.decision) == ("gitgate", "PUSH", "allow")
    assert (record.host, record.path) == ("app", "refs/heads/main")


def test_a_refused_ref_is_audited_as_denied_with_its_reason(agent: Agent, gate: Gate) -> None:
    """A push to a ref outside push_refs is a ``deny`` with reason ``ref-refused``."""
    agent.commit_file("x.txt", "x\n", "x")
    assert agent.git("push", "origin", "HEAD:refs/tags/v1", check=False).returncode != 0
    (record,) = _records(gate)
    assert (record.decision, record.reason) == ("deny", "ref-refused")


def test_a_held_then_rejected_push_is_audited_with_its_rules_and_never_the_secret(
    agent: Agent, gate: Gate
) -> None:
    """Held (rules named), then denied by the operator; the secret is in no line."""
    agent.commit_file("config.py", f'KEY = "{PLANTED_SECRET}"\n', "add config")
    push = agent.push_async("origin", "HEAD:refs/heads/main")
    decide(gate, wait_for_proposal(gate), "rejected", "a real key")
    push.communicate(timeout=60)
    held, denied = _records(gate)
    assert held.decision == "held"
    assert "aws-access-token" in held.detectors
    assert (denied.decision, denied.reason) == ("deny", "operator-rejected")
    text = (gate.state / AUDIT_FILE).read_text()
    assert PLANTED_SECRET not in text
    assert all(json.loads(line)["bottle"] == "test-bottle" for line in text.splitlines())
