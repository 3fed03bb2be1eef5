"""What differs per backend, behind the same interface: warnings, env, exec errors."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import pytest
from tests.integration.backends.conftest import FAKE_IMAGES, make_plan

from bb_cli.applicator.errors import ReloadError
from bb_cli.backends.apple_container import AppleContainerBackend
from bb_cli.backends.apple_container.translate import translate_service
from bb_cli.backends.compose.render import render_project
from bb_cli.backends.smolvm import SmolvmBackend
from bb_cli.backends.smolvm.render import split_project
from bb_cli.backends.tool import Tool, ToolError, describe_failure
from bb_cli.errors import BackendError
from bb_testkit.fakes import install_fake

PORTS = {"egress": 41001, "supervise": 41002}


def test_apple_container_lists_the_hardening_it_cannot_enforce(tmp_path: Path) -> None:
    """The agent's cap_drop, no-new-privileges, sysctls and pids limit are named, not dropped."""
    plan = make_plan(tmp_path, FAKE_IMAGES)
    spec = render_project(plan)["services"]["agent"]
    run = translate_service(plan.slug, "agent", spec, {"BOT_BOTTLE_CANARY": "c"})
    assert set(run.unsupported) >= {
        "agent: dropping capabilities",
        "agent: no-new-privileges",
        "agent: sysctls (IPv6 off, no forwarding)",
        "agent: a process limit",
    }
    assert "--read-only" in run.argv
    assert f"HTTPS_PROXY=http://bb-{plan.slug}-egress:8080" in run.argv


def test_smolvm_guest_gets_upper_and_lower_case_proxy_variables(tmp_path: Path) -> None:
    """HTTP(S)_PROXY and http(s)_proxy all point at the published egress port."""
    plan = make_plan(tmp_path, FAKE_IMAGES)
    _, machine = split_project(render_project(plan), plan.slug, {"BOT_BOTTLE_CANARY": "c"}, PORTS)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        assert f"{name}=http://127.0.0.1:41001" in machine.flags


def test_smolvm_guest_egress_is_limited_to_the_hosts_loopback(tmp_path: Path) -> None:
    """``--outbound-localhost-only``: the published proxy ports, never open ``--net``."""
    plan = make_plan(tmp_path, FAKE_IMAGES)
    _, machine = split_project(render_project(plan), plan.slug, {"BOT_BOTTLE_CANARY": "c"}, PORTS)
    assert "--outbound-localhost-only" in machine.flags
    assert "--net" not in machine.flags


def test_smolvm_sidecars_are_the_compose_render_without_the_agent(tmp_path: Path) -> None:
    """Sidecars keep their render; egress is published on loopback only."""
    plan = make_plan(tmp_path, FAKE_IMAGES)
    sidecars, machine = split_project(
        render_project(plan), plan.slug, {"BOT_BOTTLE_CANARY": "c"}, PORTS
    )
    assert "agent" not in sidecars["services"]
    assert sidecars["services"]["egress"]["ports"] == ["127.0.0.1:41001:8080"]
    assert machine.source == ["--image", FAKE_IMAGES["agent"]]


def test_a_committed_smolvm_snapshot_boots_with_from(tmp_path: Path) -> None:
    """An agent image that is a ``.smolmachine`` file is created with ``--from``."""
    plan = make_plan(tmp_path, {**FAKE_IMAGES, "agent": "/snap/x.smolmachine"})
    _, machine = split_project(render_project(plan), plan.slug, {"BOT_BOTTLE_CANARY": "c"}, PORTS)
    assert machine.source == ["--from", "/snap/x.smolmachine"]


def test_a_failure_with_no_stderr_names_the_command_and_status() -> None:
    """Never "<no stderr>" or an empty message."""
    assert describe_failure(["smolvm", "machine", "exec"], 1, "") == (
        "`smolvm machine exec` exited 1 with no output"
    )
    with pytest.raises(ToolError, match=r"`false` exited 1 with no output"):
        Tool("false").run()


def test_wrappers_run_with_sh_c_and_the_tools_absolute_path(tmp_path: Path) -> None:
    """``sh -c`` (not a login shell) gets the resolved binary as ``$1``."""
    tool = Tool("true")
    done = tool.shell('printf "%s" "$1"')
    assert done.stdout == tool.path


def test_smolvm_busy_exec_channel_is_reported_as_such(tmp_path: Path) -> None:
    """With another exec holding the channel, exec says "concurrent exec not available"."""
    state = tmp_path / "state"
    binary = install_fake(tmp_path / "bin", "smolvm", state)
    backend = SmolvmBackend(Tool("smolvm", path=str(binary)))
    assert backend.tool.run("machine", "create", "bot-bottle-s-1", "--image", "a").returncode == 0
    backend.tool.run("machine", "start", "--name", "bot-bottle-s-1")
    with (state / "bot-bottle-s-1.exec.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(BackendError, match=r"concurrent exec not available.*exited 1 with no"):
            backend.exec("s-1", ["true"], tty=False)


def test_apple_container_start_warns_once_listing_everything_it_cannot_enforce(
    tmp_path: Path,
) -> None:
    """One warning at start names the missing hardening, including the network's."""
    binary = install_fake(tmp_path / "bin", "container", tmp_path / "state")
    warnings: list[str] = []
    backend = AppleContainerBackend(Tool("container", path=str(binary)), warnings.append)
    plan = make_plan(tmp_path, FAKE_IMAGES)
    backend.start(plan, lambda step, state: None)
    backend.remove(plan.slug)
    (warning,) = warnings
    assert warning.startswith("Apple container cannot enforce: ")
    for item in (
        "agent: dropping capabilities",
        "egress: no-new-privileges",
        "network: internal-only with isolated gateways",
    ):
        assert item in warning


def test_apple_container_reload_is_a_hup_to_the_egress_container(tmp_path: Path) -> None:
    """``container kill --signal HUP bb-<slug>-egress``; a stopped bottle's reload names it."""
    binary = install_fake(tmp_path / "bin", "container", tmp_path / "state")
    backend = AppleContainerBackend(Tool("container", path=str(binary)), lambda m: None)
    plan = make_plan(tmp_path, FAKE_IMAGES)
    backend.start(plan, lambda step, state: None)
    backend.reload_signal(plan.slug).reload()
    fake = json.loads((tmp_path / "state" / "state.json").read_text())
    assert fake["containers"][f"bb-{plan.slug}-egress"]["signals"] == ["HUP"]
    backend.stop(plan.slug)
    with pytest.raises(ReloadError, match=rf"`container kill --signal HUP bb-{plan.slug}-egress`"):
        backend.reload_signal(plan.slug).reload()
