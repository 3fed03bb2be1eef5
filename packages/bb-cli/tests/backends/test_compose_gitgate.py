"""The git gate's compose service: it gets the bottle's secrets as egress does, never the agent."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from bb_cli.backends.compose import compose_environment, render_project
from bb_cli.backends.compose.gitgate import gate_config
from bb_cli.errors import ManifestError
from bb_cli.manifests import ManifestIndex
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity
from bb_protocol import layout
from bb_protocol.gitgate import GateConfig, dump_gate_config

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
    assert gate_config(_plan(tmp_path)).require_canary is True


def test_the_gate_yaml_the_cli_writes_loads_as_the_gates_own_model(tmp_path: Path) -> None:
    """One schema: what bb-cli dumps, bb_protocol.gitgate.GateConfig (the gate's) reads back."""
    config = gate_config(_plan(tmp_path))
    loaded = GateConfig.model_validate(yaml.safe_load(dump_gate_config(config)))
    assert loaded == config
    assert loaded.listen_port == layout.GATE_PORT
    assert str(loaded.queue_dir) == layout.QUEUE_DIR
    assert loaded.repos[0].upstream == "https://forge.test/app.git"


def test_a_push_ref_the_gate_would_refuse_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    """A manifest ref pattern outside refs/heads/ or refs/tags/ is a ManifestError at render,
    not a gate that never becomes healthy."""
    plan = _plan(tmp_path)
    bad = plan.manifest.agent.repos[0].model_copy(update={"push_refs": ("refs/notes/*",)})
    agent = plan.manifest.agent.model_copy(update={"repos": (bad,)})
    plan = dataclasses.replace(plan, manifest=plan.manifest.model_copy(update={"agent": agent}))
    with pytest.raises(ManifestError, match=r"push_refs.*refs/heads/"):
        gate_config(plan)


def test_the_gate_service_mounts_its_files_where_the_layout_says(tmp_path: Path) -> None:
    """The compose file and the gate agree on every path through bb_protocol.layout."""
    gate = render_project(_plan(tmp_path))["services"]["gitgate"]
    targets = {volume.split(":")[1] for volume in gate["volumes"]}
    assert targets == {
        layout.GATE_CONFIG_FILE,
        layout.GATE_STATE_DIR,
        layout.GATE_KEYS_DIR,
        layout.QUEUE_DIR,
        layout.APPROVAL_KEY_FILE,
    }
    assert gate["command"] == ["serve", "--config", layout.GATE_CONFIG_FILE]
    assert gate["networks"]["internal"]["aliases"] == [layout.GATE_HOST]
