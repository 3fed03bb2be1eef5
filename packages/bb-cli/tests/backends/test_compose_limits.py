"""Resource limits on every container: defaults, manifest overrides, render and assertions."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bb_cli.backends.compose import render_project
from bb_cli.backends.compose.checks import (
    check_limits,
    check_pid_namespace,
    check_runtime,
    check_runtime_registered,
)
from bb_cli.backends.compose.limits import (
    EngineFacts,
    container_limits,
    log_rotation,
    storage_bytes,
)
from bb_cli.manifests import ManifestIndex
from bb_cli.manifests.models import BottleManifest, Resources
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity

IMAGES = {c: f"bot-bottle-{c}:test" for c in ("egress", "supervise", "agent", "gitgate")}
DOCKER = EngineFacts(cpus=8, volume_quota=False, docker=True)


def make_plan(tmp_path: Path, bottle: str = "") -> BottlePlan:
    root = tmp_path / "manifests"
    (root / "agents").mkdir(parents=True)
    (root / "bottles").mkdir()
    (root / "agents" / "a.md").write_text("---\nbottle: b\n---\n")
    (root / "bottles" / "b.md").write_text(f"---\n{bottle}\n---\n")
    return BottlePlan.resolve(
        BottleSpec("a", ManifestIndex([root]), slug="a-abc123"),
        environ={},
        image_for=IMAGES.__getitem__,
        state_dir=lambda slug: tmp_path / slug,
        host=HostIdentity(1234, 1234),
    )


def _inspect(limits: dict[str, object], logs: dict[str, str], read_only: bool = True) -> dict:
    return {
        "Name": "/x",
        "HostConfig": {
            **limits,
            "LogConfig": {"Type": "json-file", "Config": logs},
            "ReadonlyRootfs": read_only,
        },
    }


@pytest.mark.parametrize("service", ["agent", "egress", "supervise", "watchdog"])
def test_every_container_gets_memory_swap_pids_cpu_limits_and_rotated_logs(
    tmp_path: Path, service: str
) -> None:
    """No container of the bottle is left unlimited, the watchdog included."""
    spec = render_project(make_plan(tmp_path), DOCKER)["services"][service]
    assert spec["mem_limit"] == spec["memswap_limit"]
    assert spec["pids_limit"] > 0
    assert spec["cpus"] > 0
    assert spec["logging"] == {
        "driver": "json-file",
        "options": {"max-size": "10m", "max-file": "3"},
    }
    assert spec["read_only"] is True


@pytest.mark.parametrize(
    ("role", "memory", "pids", "cpus"),
    [
        ("agent", 8 << 30, 4096, 4.0),
        ("egress", 1 << 30, 256, 1.0),
        ("supervise", 256 << 20, 128, 0.5),
        ("gitgate", 1 << 30, 512, 1.0),
        ("watchdog", 64 << 20, 32, 0.25),
    ],
)
def test_defaults_per_role(role: str, memory: int, pids: int, cpus: float) -> None:
    """The documented defaults; the agent gets half the engine's CPUs."""
    limits = container_limits(role, Resources(), DOCKER)  # type: ignore[arg-type]
    assert (limits.memory, limits.pids, limits.cpus) == (memory, pids, cpus)


def test_manifest_overrides_each_container_and_cpus_are_clamped_to_the_engine() -> None:
    """Sidecar blocks override their own container only; no limit exceeds the host's CPUs."""
    resources = Resources.model_validate(
        {
            "memory": "2g",
            "cpus": 64,
            "egress": {"memory": "640m", "pids": 100},
            "logs": {"max_size": "1m", "max_files": 2},
            "storage": "300m",
        }
    )
    agent = container_limits("agent", resources, DOCKER)
    egress = container_limits("egress", resources, DOCKER)
    assert (agent.memory, agent.cpus) == (2 << 30, 8.0)
    assert (egress.memory, egress.pids, egress.cpus) == (640 << 20, 100, 1.0)
    assert container_limits("supervise", resources, DOCKER).memory == 256 << 20
    assert log_rotation(resources).bound == 2 << 20
    assert storage_bytes(resources) == 300 << 20


@pytest.mark.parametrize(
    "resources",
    [
        {"egress": {"memory": "384m"}},
        {"supervise": {"memory": "1m"}},
        {"storage": "1m"},
        {"logs": {"max_size": "10"}},
        {"logs": {"max_files": 0}},
        {"egress": {"pids": 1}},
        {"gitgate": {"swap": "1g"}},
    ],
)
def test_unsafe_or_unknown_limits_are_refused_at_load(resources: dict[str, object]) -> None:
    """Too little for the proxy to buffer a request, nonsense sizes, typos: clear errors."""
    with pytest.raises(ValidationError):
        Resources.model_validate(resources)


def test_runtime_names_are_validated() -> None:
    """A runtime is a registered name, never a path or a flag."""
    assert BottleManifest.model_validate({"runtime": "bb-test-runc"}).runtime == "bb-test-runc"
    for bad in ("/usr/bin/runc", "--privileged", "a b"):
        with pytest.raises(ValidationError):
            BottleManifest.model_validate({"runtime": bad})


def test_the_requested_runtime_reaches_only_the_agent(tmp_path: Path) -> None:
    """``runtime:`` sets the agent's OCI runtime; sidecars keep the engine's default."""
    services = render_project(make_plan(tmp_path, "runtime: kata"), DOCKER)["services"]
    assert services["agent"]["runtime"] == "kata"
    assert all("runtime" not in s for name, s in services.items() if name != "agent")


def test_without_a_volume_quota_the_watchdog_owns_the_agents_pid_namespace(
    tmp_path: Path,
) -> None:
    """The watchdog reads the volumes read-only, has no network and one capability."""
    services = render_project(make_plan(tmp_path, "resources: {storage: 300m}"), DOCKER)["services"]
    watchdog = services["watchdog"]
    assert services["agent"]["pid"] == f"container:{watchdog['container_name']}"
    assert watchdog["network_mode"] == "none"
    assert watchdog["cap_add"] == ["DAC_READ_SEARCH"]
    assert {"workspace:/volumes/workspace:ro", "home:/volumes/home:ro"} <= set(watchdog["volumes"])
    assert watchdog["command"][:2] == ["--limit", str(300 << 20)]


def test_with_a_volume_quota_the_volumes_are_sized_and_no_watchdog_runs(tmp_path: Path) -> None:
    """xfs with project quotas: the engine enforces the cap on each volume."""
    engine = EngineFacts(cpus=2, volume_quota=True, docker=True)
    project = render_project(make_plan(tmp_path, "resources: {storage: 1g}"), engine)
    assert "watchdog" not in project["services"]
    assert "pid" not in project["services"]["agent"]
    assert project["volumes"]["workspace"]["driver_opts"] == {"size": str(1 << 30)}


def test_other_backends_get_limits_but_no_docker_only_watchdog(tmp_path: Path) -> None:
    """Without engine facts (smolvm, Apple container) the render has no PID sharing."""
    project = render_project(make_plan(tmp_path))
    assert "watchdog" not in project["services"]
    assert project["services"]["agent"]["mem_limit"] == "8192m"


def test_a_container_matching_its_limits_passes() -> None:
    """The inspect document docker gives for the rendered keys has no problems."""
    limits = container_limits("egress", Resources(), DOCKER)
    info = _inspect(
        {
            "Memory": limits.memory,
            "MemorySwap": limits.memory,
            "PidsLimit": limits.pids,
            "NanoCpus": limits.nano_cpus,
        },
        {"max-size": "10m", "max-file": "3"},
    )
    assert check_limits(info, limits, log_rotation(Resources()), read_only=True) == []


@pytest.mark.parametrize(
    ("host", "logs", "needle"),
    [
        ({"Memory": 0}, {"max-size": "10m", "max-file": "3"}, "memory limit"),
        ({"MemorySwap": -1}, {"max-size": "10m", "max-file": "3"}, "memory+swap"),
        ({"PidsLimit": None}, {"max-size": "10m", "max-file": "3"}, "pids limit"),
        ({"NanoCpus": 0}, {"max-size": "10m", "max-file": "3"}, "CPU limit"),
        ({}, {}, "not rotated"),
        ({"ReadonlyRootfs": False}, {"max-size": "10m", "max-file": "3"}, "writable"),
    ],
)
def test_a_missing_limit_is_named(
    host: dict[str, object], logs: dict[str, str], needle: str
) -> None:
    """Each limit the engine did not apply is a named problem (the bottle is torn down)."""
    limits = container_limits("egress", Resources(), DOCKER)
    base: dict[str, object] = {
        "Memory": limits.memory,
        "MemorySwap": limits.memory,
        "PidsLimit": limits.pids,
        "NanoCpus": limits.nano_cpus,
    }
    info = _inspect({**base, **host}, logs)
    info["HostConfig"].update({k: v for k, v in host.items() if k == "ReadonlyRootfs"})
    problems = check_limits(info, limits, log_rotation(Resources()), read_only=True)
    assert any(needle in p for p in problems), problems


def test_runtime_checks_refuse_unknown_and_substituted_runtimes() -> None:
    """An unregistered runtime fails before start; a created agent on another runtime fails."""
    assert check_runtime_registered({"runc": {}, "bb-test-runc": {}}, "bb-test-runc") == []
    assert "not registered" in check_runtime_registered({"runc": {}}, "runsc")[0]
    assert check_runtime({"HostConfig": {"Runtime": "runc"}}, None) == []
    assert check_runtime({"HostConfig": {"Runtime": "runc"}}, "runsc") != []
    assert check_pid_namespace({"HostConfig": {"PidMode": "container:abc"}}, "abc") == []
    assert check_pid_namespace({"HostConfig": {"PidMode": ""}}, "abc") != []
