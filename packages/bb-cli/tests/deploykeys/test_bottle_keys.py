"""`bb start`/`bb rm`'s deploy keys for repos with a forge, against the FAKE forges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bb_cli.errors import StartError
from bb_cli.manifests import ManifestIndex
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity
from bb_cli.repo_keys import deprovision_keys, provision_keys

TOKEN = "test-token"  # the FAKE forges' token (conftest.py)


def make_plan(tmp_path: Path, forge: Any, repo: str = "org/app") -> BottlePlan:
    agents = tmp_path / ".bot-bottle" / "agents"
    agents.mkdir(parents=True, exist_ok=True)
    (agents / "r.md").write_text(
        "---\nbottle: shell\nrepos:\n  - name: app\n    url: ssh://git@forge.test/org/app.git\n"
        "    known_hosts: /dev/null\n"
        f"    forge: {{kind: {forge.flavour}, repo: {repo}, url: '{forge.url}',"
        " token_env: TOK}\n---\n"
    )
    index = ManifestIndex.default(cwd=tmp_path, environ={"HOME": str(tmp_path)})
    return BottlePlan.resolve(
        BottleSpec("r", index, slug="r-abc123"),
        environ={},
        image_for=lambda c: c,
        state_dir=lambda slug: tmp_path / "state" / slug,
        host=HostIdentity(1, 1),
    )


def test_start_registers_a_key_the_gate_alone_gets_and_rm_removes_it(
    tmp_path: Path, forge: Any
) -> None:
    """One key per repo titled for the bottle; the private half in the gate dir; rm cleans up."""
    plan = make_plan(tmp_path, forge)
    assert provision_keys(plan, {"TOK": TOKEN}) == 1
    assert [k["title"] for k in forge.repos["org/app"]] == ["bot-bottle r-abc123"]
    key = plan.state_dir / "gitgate" / "repos" / "app" / "deploy_key"
    assert key.stat().st_mode & 0o077 == 0
    assert deprovision_keys(plan.state_dir, plan.slug, {"TOK": TOKEN}) == 1
    assert forge.repos["org/app"] == []
    assert not key.exists()


def test_a_refused_key_fails_the_step_and_leaves_nothing(tmp_path: Path, forge: Any) -> None:
    """An unknown repo on the forge fails 'provision deploy keys'; no key file stays behind."""
    plan = make_plan(tmp_path, forge, repo="org/missing")
    with pytest.raises(StartError, match="provision deploy keys"):
        provision_keys(plan, {"TOK": TOKEN})
    assert not (plan.state_dir / "gitgate" / "repos" / "app" / "deploy_key").exists()


def test_unset_token_is_named(tmp_path: Path, forge: Any) -> None:
    """Without the token variable the step fails naming it."""
    with pytest.raises(StartError, match=r"\$TOK is not set"):
        provision_keys(make_plan(tmp_path, forge), {})
