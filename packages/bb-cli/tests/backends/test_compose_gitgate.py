"""The git gate's compose service: it gets the bottle's secrets as egress does, never the agent."""

from __future__ import annotations

from pathlib import Path

import yaml

from bb_cli.backends.compose import compose_environment, render_project
from bb_cli.backends.compose.gitgate import gate_config
from bb_cli.manifests import ManifestIndex
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity

AGENT = """---
bottle: withsecret
repos:
  - name: app
    url: https://forge.test/app.git
---
"""
BOTTLE = """---
extends: shell
secrets:
  API: HOST_API_TOKEN
---
"""


def _plan(tmp_path: Path) -> BottlePlan:
    for kind, name, text in (("agents", "r", AGENT), ("bottles", "withsecret", BOTTLE)):
        (tmp_path / ".bot-bottle" / kind).mkdir(parents=True)
        (tmp_path / ".bot-bottle" / kind / f"{name}.md").write_text(text)
    index = ManifestIndex.default(cwd=tmp_path, environ={"HOME": str(tmp_path)})
    return BottlePlan.resolve(
        BottleSpec("r", index, slug="r-abc123"),
        environ={"HOST_API_TOKEN": "tok-Zq81mWv3Ty7Rk2Hs5Jd9Nb6"},
        image_for=lambda c: f"bot-bottle-{c}:test",
        state_dir=lambda slug: tmp_path / slug,
        host=HostIdentity(1234, 1234),
    )


def test_the_gate_gets_the_egress_secrets_and_canary_by_name_only(tmp_path: Path) -> None:
    """Same valueless entries as egress; compose supplies the values; none in the file."""
    plan = _plan(tmp_path)
    project = render_project(plan)
    gate_env = project["services"]["gitgate"]["environment"]
    assert set(plan.egress.egress_env) <= set(gate_env)
    assert {"EGRESS_TOKEN_API", "EGRESS_TOKEN_CANARY"} <= set(gate_env)
    assert all(gate_env[name] is None for name in plan.egress.egress_env)
    values = compose_environment(plan)
    assert values["EGRESS_TOKEN_API"] == "tok-Zq81mWv3Ty7Rk2Hs5Jd9Nb6"
    assert values["EGRESS_TOKEN_CANARY"] == plan.egress.canary
    text = yaml.safe_dump(project)
    assert "tok-Zq81mWv3Ty7Rk2Hs5Jd9Nb6" not in text
    assert plan.egress.canary not in text


def test_the_agent_gets_none_of_the_gates_secrets(tmp_path: Path) -> None:
    """The agent's environment names no EGRESS_TOKEN_ variable (it has the canary only as
    BOT_BOTTLE_CANARY, to be caught with)."""
    project = render_project(_plan(tmp_path))
    agent_env = project["services"]["agent"]["environment"]
    assert not [name for name in agent_env if name.startswith("EGRESS_TOKEN_")]


def test_the_gate_config_requires_the_canary(tmp_path: Path) -> None:
    """A gate started without the bottle's canary refuses to serve (fails closed)."""
    assert gate_config(_plan(tmp_path))["require_canary"] is True
