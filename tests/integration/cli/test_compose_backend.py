"""The compose backend against real Docker: a bottle that is not as hardened as rendered
never runs; it is torn down with nothing left behind.

The egress sidecar is replaced by a stand-in (the agent image writing the CA file the health
check waits for, then listening on the proxy port) so that these tests exercise the
backend's bring-up order, assertions and teardown whatever the state of the egress image;
the real proxy is covered by ``tests/e2e/test_bottle_lifecycle.py``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bb_cli.backends.compose import ComposeBackend, render
from bb_cli.errors import LauncherAssertionError, StartError
from bb_cli.manifests import ManifestIndex
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]

BOTTLE = "---\nextends: shell\nsupervise: false\n---\n"
AGENT = "---\nbottle: plain\n---\n"


def _image(component: str) -> str:
    out = subprocess.run(
        [
            "docker",
            "image",
            "ls",
            "--filter",
            f"label=org.bot-bottle.component={component}",
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    out = [ref for ref in out if "<none>" not in ref]
    if not out:
        pytest.skip(f"no {component} image: run `bb images build`")
    return out[0]


def leftovers(slug: str) -> list[str]:
    label = f"label=com.docker.compose.project=bb-{slug}"
    out: list[str] = []
    for args in (["ps", "-a"], ["network", "ls"], ["volume", "ls"]):
        fmt = "{{.Names}}" if args[0] == "ps" else "{{.Name}}"
        argv = ["docker", *args, "--filter", label, "--format", fmt]
        out += subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()
    return out


@pytest.fixture
def plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BottlePlan]:
    """A plan for a supervise-less bottle with the stand-in egress; always removed."""
    for kind, text in (("bottles", BOTTLE), ("agents", AGENT)):
        (tmp_path / ".bot-bottle" / kind).mkdir(parents=True)
        (tmp_path / ".bot-bottle" / kind / "plain.md").write_text(text)
    agent_image = _image("agent")
    real_egress = render._egress

    def stand_in(p: BottlePlan) -> dict[str, Any]:
        service = real_egress(p)
        service["image"] = agent_image
        service["entrypoint"] = [
            "sh",
            "-c",
            f"echo ca > {render.AGENT_CA} && exec python3 -m http.server 8080",
        ]
        service["command"] = []
        return service

    monkeypatch.setattr(render, "_egress", stand_in)
    index = ManifestIndex.default(cwd=tmp_path, environ={"HOME": str(tmp_path)})
    the_plan = BottlePlan.resolve(
        BottleSpec("plain", index),
        environ={},
        image_for=lambda c: agent_image,
        state_dir=lambda slug: tmp_path / "state" / slug,
        host=HostIdentity(os.getuid(), os.getgid()),
    )
    monkeypatch.setattr(
        "bb_cli.backends.compose.backend.bottle_dir", lambda slug: the_plan.state_dir
    )
    yield the_plan
    ComposeBackend().remove(the_plan.slug)


def test_hardened_bottle_starts_and_runs_as_rendered(plan: BottlePlan) -> None:
    """The rendered bottle passes every assertion and runs."""
    ComposeBackend().start(plan, lambda step, state: None)
    assert ComposeBackend().status(plan.slug).containers["agent"] == "running"


def _agent_with(key: str, value: object) -> Callable[[BottlePlan], dict[str, Any]]:
    real = render._agent

    def changed(p: BottlePlan) -> dict[str, Any]:
        return {**real(p), key: value}

    return changed


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("dns", ["192.0.2.53"], "dns is set"),
        ("cap_add", ["NET_RAW"], "CapAdd"),
        ("extra_hosts", ["host.docker.internal:host-gateway"], "extra hosts"),
        ("read_only", False, "root filesystem is writable"),
        ("networks", ["internal", "egress"], "networks are"),
    ],
)
def test_weakened_agent_is_torn_down_before_it_runs(
    plan: BottlePlan, monkeypatch: pytest.MonkeyPatch, key: str, value: object, needle: str
) -> None:
    """A rendered weakness fails the agent assertion; the whole project is removed."""
    monkeypatch.setattr(render, "_agent", _agent_with(key, value))
    with pytest.raises(LauncherAssertionError, match=needle):
        ComposeBackend().start(plan, lambda step, state: None)
    assert leftovers(plan.slug) == []


def test_network_without_isolated_gateway_is_torn_down(
    plan: BottlePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An internal network without gateway isolation fails before the agent is created."""
    real = render.render_project

    def weakened(p: BottlePlan, *args: Any) -> dict[str, Any]:
        project = real(p, *args)
        del project["networks"]["internal"]["driver_opts"]
        return project

    monkeypatch.setattr("bb_cli.backends.state_dir.render_project", weakened)
    with pytest.raises(LauncherAssertionError, match="gateway_mode_ipv4 is not isolated"):
        ComposeBackend().start(plan, lambda step, state: None)
    assert leftovers(plan.slug) == []


def _with_runtime(plan: BottlePlan, runtime: str) -> BottlePlan:
    bottle = plan.manifest.bottle.model_copy(update={"runtime": runtime})
    return dataclasses.replace(plan, manifest=plan.manifest.model_copy(update={"bottle": bottle}))


def _inspect(name: str) -> dict[str, Any]:
    out = subprocess.run(["docker", "inspect", name], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout)[0])


def test_every_container_runs_with_limits_and_the_agent_in_the_watchdogs_namespace(
    plan: BottlePlan,
) -> None:
    """Memory (no extra swap), pids, CPUs and log rotation on each container, as inspected."""
    ComposeBackend().start(plan, lambda step, state: None)
    agent = _inspect(plan.agent_container)
    watchdog = _inspect(f"bot-bottle-{plan.slug}-watchdog")
    assert agent["HostConfig"]["PidMode"] == f"container:{watchdog['Id']}"
    for info in (agent, watchdog, _inspect(f"bb-{plan.slug}-egress-1")):
        host = info["HostConfig"]
        assert host["Memory"] > 0
        assert host["MemorySwap"] == host["Memory"]
        assert host["PidsLimit"] > 0
        assert host["NanoCpus"] > 0
        assert host["LogConfig"]["Config"]["max-size"] == "10m"
        assert host["ReadonlyRootfs"] is True


def test_the_agent_runs_under_the_runtime_the_bottle_names(plan: BottlePlan) -> None:
    """``runtime: bb-test-runc`` (runc registered under a second name) is what the agent
    container runs with; the sidecars keep the engine's default."""
    runtimes = json.loads(
        subprocess.run(
            ["docker", "info", "--format", "{{json .Runtimes}}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    if "bb-test-runc" not in runtimes:
        pytest.skip("bb-test-runc is not registered (.ci/start-docker.sh registers it)")
    ComposeBackend().start(_with_runtime(plan, "bb-test-runc"), lambda step, state: None)
    assert _inspect(plan.agent_container)["HostConfig"]["Runtime"] == "bb-test-runc"
    assert _inspect(f"bb-{plan.slug}-egress-1")["HostConfig"]["Runtime"] == "runc"


def test_an_unregistered_runtime_is_refused_before_anything_is_created(plan: BottlePlan) -> None:
    """No silent fallback to runc: a clear error naming the registered runtimes, nothing left."""
    with pytest.raises(StartError, match=r"'bb-no-such-runtime' is not registered.*runc"):
        ComposeBackend().start(_with_runtime(plan, "bb-no-such-runtime"), lambda s, t: None)
    assert leftovers(plan.slug) == []


def test_a_created_agent_on_another_runtime_is_torn_down(
    plan: BottlePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked for bb-test-runc but created with runc (a render that lost it): refused."""
    monkeypatch.setattr(render, "_agent", _agent_with("runtime", "runc"))
    with pytest.raises(LauncherAssertionError, match="agent runtime is 'runc', not 'bb-test-runc'"):
        ComposeBackend().start(_with_runtime(plan, "bb-test-runc"), lambda step, state: None)
    assert leftovers(plan.slug) == []


def test_a_sidecar_without_limits_is_torn_down(
    plan: BottlePlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sidecar that lost its limits or log rotation fails the launcher's limit assertion."""
    real = render.render_project

    def unlimited(p: BottlePlan, *args: Any) -> dict[str, Any]:
        project = real(p, *args)
        for key in ("mem_limit", "memswap_limit", "pids_limit", "logging"):
            del project["services"]["egress"][key]
        return project

    monkeypatch.setattr("bb_cli.backends.state_dir.render_project", unlimited)
    with pytest.raises(LauncherAssertionError, match="egress-1: memory limit is 0"):
        ComposeBackend().start(plan, lambda step, state: None)
    assert leftovers(plan.slug) == []
