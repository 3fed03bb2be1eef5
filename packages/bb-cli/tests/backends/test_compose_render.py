"""The rendered compose project: topology, agent hardening, secrets kept out of the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bb_cli import names
from bb_cli.backends.compose import compose_environment, project_name, render_project
from bb_cli.egress_plan import Egress, SecretMissingError
from bb_cli.manifests import ManifestIndex
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity

IMAGES = {
    c: f"bot-bottle-{c}:test"
    for c in ("egress", "supervise", "agent", "agent-claude", "agent-codex")
}


def make_plan(
    tmp_path: Path, agent: str = "shell", environ: dict[str, str] | None = None
) -> BottlePlan:
    index = ManifestIndex.default(cwd=tmp_path, environ={"HOME": str(tmp_path)})
    return BottlePlan.resolve(
        BottleSpec(agent, index, slug="shell-abc123"),
        environ=environ or {},
        image_for=IMAGES.__getitem__,
        state_dir=lambda slug: tmp_path / slug,
        host=HostIdentity(1234, 1234),
    )


def test_agent_is_only_on_the_isolated_internal_network(tmp_path: Path) -> None:
    """Internal, IPv6 off, both gateway modes isolated; the agent on that network alone."""
    project = render_project(make_plan(tmp_path))
    internal = project["networks"]["internal"]
    assert internal["internal"] is True
    assert internal["enable_ipv6"] is False
    assert set(internal["driver_opts"].values()) == {"isolated"}
    assert project["services"]["agent"]["networks"] == ["internal"]
    assert project["services"]["egress"]["networks"] == ["internal", "egress"]
    assert project["services"]["supervise"]["networks"] == ["internal"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("user", "1000:1000"),
        ("cap_drop", ["ALL"]),
        ("security_opt", ["no-new-privileges:true"]),
        ("read_only", True),
        ("sysctls", {"net.ipv6.conf.all.disable_ipv6": "1"}),
        ("container_name", "bot-bottle-shell-abc123"),
    ],
)
def test_agent_hardening(tmp_path: Path, key: str, expected: object) -> None:
    """security.md 1.6, key by key."""
    assert render_project(make_plan(tmp_path))["services"]["agent"][key] == expected


@pytest.mark.parametrize(
    "key", ["ports", "dns", "extra_hosts", "privileged", "cap_add", "network_mode"]
)
def test_agent_has_no_way_out_settings(tmp_path: Path, key: str) -> None:
    """No ports, dns, extra_hosts, privileges or host network on the agent."""
    assert key not in render_project(make_plan(tmp_path))["services"]["agent"]


def test_tmp_is_an_execable_tmpfs_and_home_workspace_are_volumes(tmp_path: Path) -> None:
    """Writable home and workspace volumes; /tmp without noexec (build tools run from it)."""
    agent = render_project(make_plan(tmp_path))["services"]["agent"]
    assert "noexec" not in agent["tmpfs"][0]
    assert {"home:/home/agent", "workspace:/workspace"} <= set(agent["volumes"])
    assert not any("docker.sock" in str(v) for v in agent["volumes"])


def test_agent_env_points_at_proxy_and_trusts_only_the_proxy_ca(tmp_path: Path) -> None:
    """Proxy variables in both cases, the sidecars in NO_PROXY, every CA variable the proxy's."""
    env = render_project(make_plan(tmp_path))["services"]["agent"]["environment"]
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        assert env[name] == "http://egress:8080"
    assert "supervise" in env["NO_PROXY"].split(",")
    for name in ("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE"):
        assert env[name] == "/etc/bot-bottle/ca/ca.pem"


def test_secrets_and_canary_never_reach_the_file_nor_the_agent(tmp_path: Path) -> None:
    """The real key goes only to egress (by compose's environment); the agent gets a placeholder."""
    plan = make_plan(tmp_path, "claude", {"ANTHROPIC_API_KEY": "sk-ant-real-key"})
    text = yaml.safe_dump(render_project(plan))
    assert "sk-ant-real-key" not in text
    assert plan.egress.canary not in text
    values = compose_environment(plan)
    assert values["EGRESS_TOKEN_ANTHROPIC"] == "sk-ant-real-key"
    assert values["EGRESS_TOKEN_CANARY"] == values["BOT_BOTTLE_CANARY"] == plan.egress.canary
    agent_env = render_project(plan)["services"]["agent"]["environment"]
    assert "EGRESS_TOKEN_ANTHROPIC" not in agent_env
    assert "sk-ant-real-key" not in plan.egress.agent_env.values()
    assert plan.egress.routes.routes[0].host == "api.anthropic.com"


def test_provider_runtime_without_host_key_is_refused() -> None:
    """A claude bottle without ANTHROPIC_API_KEY on the host fails, naming the variable."""
    loaded = ManifestIndex.default(environ={"HOME": "/nonexistent"}).load_for_agent("claude")
    with pytest.raises(SecretMissingError, match="ANTHROPIC_API_KEY"):
        Egress.prepare(loaded, {})


def test_canary_is_fresh_per_bottle() -> None:
    """Two preparations never share a canary."""
    loaded = ManifestIndex.default(environ={"HOME": "/nonexistent"}).load_for_agent("shell")
    assert Egress.prepare(loaded, {}).canary != Egress.prepare(loaded, {}).canary


def test_project_name_is_the_one_bb_names_builds() -> None:
    """The compose backend's project name is `bb_cli.names.project_name` (one builder)."""
    assert project_name("shell-abc123") == names.project_name("shell-abc123") == "bb-shell-abc123"


def test_repos_add_the_gate_on_internal_and_forge_networks_only(tmp_path: Path) -> None:
    """The gate is git-gate on the internal network plus a forge bridge; the agent stays put."""
    agents = tmp_path / ".bot-bottle" / "agents"
    agents.mkdir(parents=True)
    (agents / "r.md").write_text(
        "---\nbottle: shell\nrepos:\n  - name: app\n    url: https://forge.test/app.git\n---\n"
    )
    index = ManifestIndex.default(cwd=tmp_path, environ={"HOME": str(tmp_path)})
    plan = BottlePlan.resolve(
        BottleSpec("r", index, slug="r-abc123"),
        environ={},
        image_for=lambda c: f"bot-bottle-{c}:test",
        state_dir=lambda slug: tmp_path / slug,
        host=HostIdentity(1234, 1234),
    )
    project = render_project(plan)
    gate = project["services"]["gitgate"]
    assert gate["networks"] == {"internal": {"aliases": ["git-gate"]}, "forge": {}}
    assert project["networks"]["forge"].get("internal") is not True
    assert project["services"]["agent"]["networks"] == ["internal"]
    assert "git-gate" in project["services"]["agent"]["environment"]["NO_PROXY"]
    assert gate["cap_drop"] == ["ALL"]
    assert gate["sysctls"] == {"net.ipv4.ip_forward": "0"}


def test_ssh_repo_without_pinned_host_key_is_refused(tmp_path: Path) -> None:
    """An ssh:// repo needs deploy_key and known_hosts: no trust on first use."""
    from bb_cli.errors import ManifestError

    agents = tmp_path / "agents"
    agents.mkdir()
    (agents / "r.md").write_text(
        "---\nbottle: shell\nrepos:\n  - name: app\n    url: ssh://git@forge.test/app.git\n---\n"
    )
    index = ManifestIndex([ManifestIndex.default().search_dirs[0], tmp_path])
    with pytest.raises(ManifestError, match="known_hosts"):
        index.load_for_agent("r")


@pytest.mark.parametrize("source", ["/var/run", "/", "{state}", "{state}/shell-abc123/queue"])
def test_manifest_mounts_exposing_socket_or_state_are_refused(tmp_path: Path, source: str) -> None:
    """A bottle may not mount the Docker socket's directory or bot-bottle's host state."""
    from bb_cli.errors import ManifestError

    bottles = tmp_path / ".bot-bottle" / "bottles"
    bottles.mkdir(parents=True)
    src = source.format(state=tmp_path)
    (bottles / "shell.md").write_text(f"---\nmounts:\n  - source: {src}\n    target: /data\n---\n")
    with pytest.raises(ManifestError, match="would expose"):
        make_plan(tmp_path)


@pytest.mark.parametrize(
    ("agent", "image"),
    [
        ("shell", "bot-bottle-agent:test"),
        ("claude", "bot-bottle-agent-claude:test"),
        ("codex", "bot-bottle-agent-codex:test"),
    ],
)
def test_each_runtime_runs_in_its_own_cli_image(tmp_path: Path, agent: str, image: str) -> None:
    """claude gets the image with Claude Code, codex the one with Codex, a shell the plain one."""
    environ = {"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"}
    project = render_project(make_plan(tmp_path, agent, environ))
    assert project["services"]["agent"]["image"] == image
