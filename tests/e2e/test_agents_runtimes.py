"""End to end with the real Claude Code and Codex binaries, in real bottles, against a mock.

For each runtime one bottle is started by the CLI's own launcher, with the mock provider
behind its proxy at the provider's real host name (``tests/e2e/agents``: a test-only compose
overlay on the plan, never a command-line flag). Each test is one unattended run (the code
behind ``bb run``) whose prompt picks the mock's script; it is judged from the outside: the
mock's request log, the proxy's audit log, the test resolver's log and the agent container.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "agents"))

from harness import KEY_VAR, NOTES, AgentBottle, build_observer_image
from mock_provider import ANSWER

from bb_cli.runtimes import PLACEHOLDER_KEY

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]


@pytest.fixture(scope="module", params=["claude", "codex"])
def bottle(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentBottle]:
    """A running bottle of the runtime, its state under a temporary ``BOT_BOTTLE_STATE_DIR``."""
    runtime = str(request.param)
    directory = tmp_path_factory.mktemp(f"agents-{runtime}")
    previous = os.environ.get("BOT_BOTTLE_STATE_DIR")
    os.environ["BOT_BOTTLE_STATE_DIR"] = str(directory / "state")
    build_observer_image()
    b = AgentBottle(runtime, directory)
    try:
        b.start()
        yield b
    finally:
        b.stop()
        if previous is None:
            os.environ.pop("BOT_BOTTLE_STATE_DIR", None)
        else:
            os.environ["BOT_BOTTLE_STATE_DIR"] = previous


def _prompt(scenario: str) -> str:
    return f"Do exactly what the tools lead you to. bbscenario={scenario}"


def _grep_for(bottle: AgentBottle, needle: str, user: str) -> str:
    """Files (and /proc entries) in the agent container holding ``needle``, as ``user``.

    The needle travels on stdin (``grep -f -``) so no process's argv or environment holds it.
    """
    script = (
        "grep -rlsF -f - /home /workspace /tmp /etc /run /var "
        "$(ls -d /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null) || true"
    )
    done = subprocess.run(
        ["docker", "exec", "-i", "-u", user, bottle.container("agent"), "sh", "-c", script],
        input=needle + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.stdout.strip()


def test_a_prompt_returns_the_mocks_answer_and_only_the_mock_sees_the_real_key(
    bottle: AgentBottle,
) -> None:
    """Scenario 1: the answer streams back; the key reached the mock and nothing in the agent."""
    code, out, err = bottle.run_agent(_prompt("answer"))
    assert code == 0, err[-2000:]
    assert ANSWER in out
    (request,) = bottle.main_requests("answer")[-1:]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    sent = headers.get("x-api-key") if bottle.runtime == "claude" else headers.get("authorization")
    assert sent in (bottle.key, f"Bearer {bottle.key}")
    assert request["host"] == bottle.provider
    for user in ("0", "1000"):
        assert _grep_for(bottle, bottle.key, user) == ""
    inspect = subprocess.run(
        ["docker", "inspect", bottle.container("agent")], capture_output=True, text=True, check=True
    ).stdout
    assert bottle.key not in inspect
    assert bottle.key not in out + err
    env = json.loads(inspect)[0]["Config"]["Env"]
    assert f"{KEY_VAR[bottle.runtime]}={PLACEHOLDER_KEY}" in env


def test_a_tool_call_sending_a_file_and_the_canary_to_an_unapproved_host_is_refused_and_explained(
    bottle: AgentBottle,
) -> None:
    """Scenario 2: refused, audited, never resolved or reached; the next turn says why."""
    assert bottle.plan is not None
    code, _out, err = bottle.run_agent(_prompt("exfil"))
    assert code == 0, err[-2000:]
    requests = bottle.main_requests("exfil")
    follow_up = [r for r in requests if r["step"] == 1]
    assert follow_up, "the agent never sent the tool result back to the model"
    explanation = "\n".join(follow_up[-1]["tool_outputs"])
    assert "no-route" in explanation
    assert "egress-allow" in explanation
    denied = [a for a in bottle.audit() if a.get("host") == "exfil.bottle.test"]
    assert denied
    assert all(a["decision"] == "deny" for a in denied)
    assert "exfil.bottle.test" not in bottle.dns_names()
    log = json.dumps(bottle.mock_log())
    assert bottle.plan.egress.canary not in log
    assert "exfil.bottle.test" not in [r.get("host") for r in bottle.mock_log()]
    assert NOTES.split(":")[0] not in "".join(
        r.get("body", "") for r in bottle.mock_log() if not r.get("main")
    )


def test_a_tool_call_sending_the_canary_to_the_provider_host_is_redacted(
    bottle: AgentBottle,
) -> None:
    """Scenario 3: the provider route redacts; the request arrives without the canary."""
    assert bottle.plan is not None
    code, _out, err = bottle.run_agent(_prompt("redact"))
    assert code == 0, err[-2000:]
    probes = [r for r in bottle.mock_log() if r.get("path", "").startswith("/v1/bbprobe")]
    assert probes, "the probe never reached the provider host"
    assert all(bottle.plan.egress.canary not in r["body"] for r in probes)
    assert all(r["body"].startswith("note=") for r in probes)


def test_a_key_echoed_by_the_provider_reaches_the_agent_masked(bottle: AgentBottle) -> None:
    """Scenario 4: the proxy scrubs the injected key out of the response."""
    code, out, err = bottle.run_agent(_prompt("echo"))
    assert code == 0, err[-2000:]
    assert ANSWER in out
    assert bottle.key not in out
    assert "REDACTED" in out


def test_the_agent_asks_through_mcp_the_operator_approves_and_the_retry_passes(
    bottle: AgentBottle,
) -> None:
    """Scenario 5: egress-allow via the runtime's MCP config, `bb queue approve`, then 200."""
    with bottle.operator_approving() as approved:
        code, _out, err = bottle.run_agent(_prompt("approve"), timeout=400)
    assert code == 0, err[-2000:]
    assert approved, "no proposal reached the operator's queue"
    arrived = [r for r in bottle.mock_log() if r.get("host") == "approve.bottle.test"]
    assert arrived
    assert arrived[-1]["path"] == "/after-approval"
    last = [r for r in bottle.main_requests("approve") if r["step"] == 2]
    assert last
    # The tool output is the curl result, JSON-escaped once more in Codex's code mode.
    assert '"ok": true' in "\n".join(last[-1]["tool_outputs"]).replace("\\", "")


def test_the_agents_tmp_allows_running_programs(bottle: AgentBottle) -> None:
    """/tmp is mounted exec in a running bottle (Docker adds noexec unless told)."""
    mounts = bottle.sh("agent", "grep ' /tmp ' /proc/mounts")
    assert "noexec" not in mounts
    assert bottle.sh("agent", "cp /bin/echo /tmp/e && /tmp/e ran").strip() == "ran"
