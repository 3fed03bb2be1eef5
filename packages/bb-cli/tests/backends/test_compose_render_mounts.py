"""The agent's mounts in the rendered project: no host path, so mountinfo shows no layout."""

from __future__ import annotations

from pathlib import Path

from bb_cli.backends.compose import render_project
from bb_cli.manifests import ManifestIndex
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity
from bb_cli.runtimes import AGENT_DIR

IMAGES = {c: f"bot-bottle-{c}:test" for c in ("egress", "supervise", "agent")}


def make_plan(tmp_path: Path, bottle: str | None = None) -> BottlePlan:
    if bottle is not None:
        bottles = tmp_path / ".bot-bottle" / "bottles"
        bottles.mkdir(parents=True)
        (bottles / "shell.md").write_text(bottle)
    index = ManifestIndex.default(cwd=tmp_path, environ={"HOME": str(tmp_path)})
    return BottlePlan.resolve(
        BottleSpec("shell", index, slug="shell-abc123"),
        environ={},
        image_for=IMAGES.__getitem__,
        state_dir=lambda slug: tmp_path / "state" / slug,
        host=HostIdentity(1234, 1234),
    )


def _sources(service: dict) -> list[str]:
    """The source of every volume entry (short or long syntax)."""
    out = []
    for entry in service["volumes"]:
        out.append(entry["source"] if isinstance(entry, dict) else entry.split(":", 1)[0])
    return out


def test_the_agent_mounts_no_host_path(tmp_path: Path) -> None:
    """Every agent volume is a named volume: no bind shows the state dir in mountinfo."""
    project = render_project(make_plan(tmp_path))
    sources = _sources(project["services"]["agent"])
    assert sources == ["home", "workspace", "ca", "agent-config"]
    assert all(s in project["volumes"] for s in sources)
    assert str(tmp_path) not in str(project["services"]["agent"])


def test_the_ca_and_agent_config_reach_the_agent_read_only_from_tmpfs_volumes(
    tmp_path: Path,
) -> None:
    """tmpfs volumes owned by the host user (egress writes them), mounted ro in the agent."""
    project = render_project(make_plan(tmp_path))
    agent = project["services"]["agent"]["volumes"]
    assert "ca:/etc/bot-bottle/ca:ro" in agent
    assert f"agent-config:{AGENT_DIR}:ro" in agent
    for name in ("ca", "agent-config"):
        opts = project["volumes"][name]["driver_opts"]
        assert (opts["type"], opts["device"]) == ("tmpfs", "tmpfs")
        assert "uid=1234,gid=1234" in opts["o"]
        assert "noexec" in opts["o"]


def test_egress_publishes_the_agent_files_then_runs_its_own_entrypoint(tmp_path: Path) -> None:
    """It reads the host's agent dir (ro), fills the volume, then execs tini -- bb-egress."""
    plan = make_plan(tmp_path)
    egress = render_project(plan)["services"]["egress"]
    assert f"{plan.state_dir / 'agent'}:/run/bot-bottle/agent-src:ro" in egress["volumes"]
    assert "ca:/etc/bot-bottle/ca" in egress["volumes"]
    assert f"agent-config:{AGENT_DIR}" in egress["volumes"]
    shell, flag, script, arg0 = egress["entrypoint"]
    assert (shell, flag, arg0) == ("/bin/sh", "-c", "bb-egress")
    assert f"cp -R /run/bot-bottle/agent-src/. {AGENT_DIR}/" in script
    assert script.startswith("rm -f /etc/bot-bottle/ca/ca.pem && ")
    assert script.endswith('exec /usr/bin/tini -- bb-egress "$$@"')


def test_the_state_dir_is_in_no_agent_mount_but_the_operators_mounts_stay_binds(
    tmp_path: Path,
) -> None:
    """A mount the operator declares is theirs to choose (and shows its path: residual)."""
    data = tmp_path / "data"
    data.mkdir()
    plan = make_plan(tmp_path, f"---\nmounts:\n  - source: {data}\n    target: /data\n---\n")
    agent = render_project(plan)["services"]["agent"]
    binds = [v for v in agent["volumes"] if isinstance(v, dict)]
    assert [b["source"] for b in binds] == [str(data)]
    assert str(plan.state_dir) not in str(agent)


def test_the_watchdog_whose_pid_namespace_the_agent_joins_mounts_no_host_path(
    tmp_path: Path,
) -> None:
    """/proc/1/mountinfo in the agent is the watchdog's: its script comes by environment."""
    from bb_cli.backends.compose.limits import EngineFacts

    project = render_project(make_plan(tmp_path), EngineFacts(docker=True))
    watchdog = project["services"]["watchdog"]
    assert project["services"]["agent"]["pid"].startswith("container:")
    assert _sources(watchdog) == ["workspace", "home"]
    assert str(tmp_path) not in str(watchdog)
    assert "def main" in watchdog["environment"]["BB_WATCHDOG_SOURCE"]
