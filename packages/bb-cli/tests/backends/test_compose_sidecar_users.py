"""Sidecars never run as root: the identity each is rendered with and the launcher's refusal."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from bb_cli.backends.compose import render_project
from bb_cli.backends.compose.ownership import QUEUE_DIR_MODE, share_with_sidecars
from bb_cli.backends.compose.sidecar_users import SIDECARS, root_sidecars, sidecar_user
from bb_cli.backends.state_dir import prepare_state_dir, refuse_root_sidecars
from bb_cli.errors import StartError
from bb_cli.manifests import ManifestIndex
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity
from bb_protocol.identities import EGRESS_UID, GITGATE_UID, QUEUE_GID, SIDECAR_UIDS
from bb_protocol.queue import ApprovalKey

ROOT = HostIdentity(0, 0)
OPERATOR = HostIdentity(1234, 2345)


def make_plan(tmp_path: Path, host: HostIdentity) -> BottlePlan:
    """A bottle with every sidecar: supervise (the default) and a repo for the gate."""
    agents = tmp_path / ".bot-bottle" / "agents"
    agents.mkdir(parents=True, exist_ok=True)
    (agents / "r.md").write_text(
        "---\nbottle: shell\nrepos:\n  - name: app\n    url: https://forge.test/app.git\n---\n"
    )
    index = ManifestIndex.default(cwd=tmp_path, environ={"HOME": str(tmp_path)})
    return BottlePlan.resolve(
        BottleSpec("r", index, slug="r-abc123"),
        environ={},
        image_for=lambda c: f"bot-bottle-{c}:test",
        state_dir=lambda slug: tmp_path / slug,
        host=host,
    )


@pytest.mark.parametrize("sidecar", SIDECARS)
def test_a_root_operator_runs_each_sidecar_as_its_image_user_in_the_queue_group(
    sidecar: Any,
) -> None:
    """uid 0 on the host: egress 10001, supervise 10002, gitgate 10003, all gid 10100."""
    user = sidecar_user(sidecar, ROOT)
    assert (user.uid, user.gid) == (SIDECAR_UIDS[sidecar], QUEUE_GID)
    assert user.uid != 0


@pytest.mark.parametrize("sidecar", SIDECARS)
def test_an_operator_who_is_not_root_shares_their_identity_with_the_sidecars(
    sidecar: Any,
) -> None:
    """Every file of the bottle is the operator's; the sidecars run as the operator."""
    assert sidecar_user(sidecar, OPERATOR).compose() == "1234:2345"


@pytest.mark.parametrize("host", [ROOT, OPERATOR], ids=["root", "operator"])
def test_the_rendered_project_names_a_non_root_user_for_every_sidecar(
    tmp_path: Path, host: HostIdentity
) -> None:
    """egress, supervise and the gate each carry an explicit numeric user that is not 0."""
    project = render_project(make_plan(tmp_path, host))
    assert set(SIDECARS) <= set(project["services"])
    for name in SIDECARS:
        user = project["services"][name]["user"]
        assert user == sidecar_user(name, host).compose()
        assert not user.startswith("0:")
    assert root_sidecars(project) == []


def test_a_root_operator_gives_egress_its_own_tmpfs_and_published_volumes(tmp_path: Path) -> None:
    """The proxy's confdir and the volumes it fills belong to the egress user, not root."""
    project = render_project(make_plan(tmp_path, ROOT))
    assert f"uid={EGRESS_UID},gid={QUEUE_GID}" in project["services"]["egress"]["tmpfs"][0]
    for volume in ("ca", "agent-config"):
        assert f"uid={EGRESS_UID},gid={QUEUE_GID}" in project["volumes"][volume]["driver_opts"]["o"]


@pytest.mark.parametrize(
    ("user", "problem"),
    [
        (None, "no user set"),
        ("0:0", "uid 0"),
        ("0", "uid 0"),
        (0, "uid 0"),
        ("root", "not numeric"),
        ("egress", "not numeric"),
    ],
)
def test_root_sidecars_names_a_sidecar_that_would_run_as_root(user: object, problem: str) -> None:
    """Missing, uid 0 or a name the image resolves: each is a problem, named by service."""
    service: dict[str, Any] = {"labels": {"org.bot-bottle.role": "supervise"}}
    if user is not None:
        service["user"] = user
    problems = root_sidecars({"services": {"supervise": service}})
    assert len(problems) == 1
    assert problems[0].startswith("supervise: ")
    assert problem in problems[0]


def test_the_watchdog_and_the_agent_are_not_sidecars_for_this_rule() -> None:
    """The watchdog runs as uid 0 on purpose (DAC_READ_SEARCH only); the agent is 1000."""
    project = {
        "services": {
            "watchdog": {"user": "0:0", "labels": {"org.bot-bottle.role": "watchdog"}},
            "agent": {"user": "1000:1000", "labels": {"org.bot-bottle.role": "agent"}},
        }
    }
    assert root_sidecars(project) == []


def test_the_launcher_refuses_a_project_with_a_root_sidecar(tmp_path: Path) -> None:
    """An overlay (or a future render change) that makes egress uid 0 stops bb start."""
    project = render_project(make_plan(tmp_path, OPERATOR))
    project["services"]["egress"]["user"] = "0:0"
    with pytest.raises(StartError, match=r"egress: would run as uid 0"):
        refuse_root_sidecars(project)


def test_preparing_a_bottle_refuses_an_overlay_that_runs_a_sidecar_as_root(
    tmp_path: Path,
) -> None:
    """prepare_state_dir checks after any overlay, before compose.yaml is written."""
    from dataclasses import replace

    def overlay(project: dict[str, Any]) -> dict[str, Any]:
        project["services"]["gitgate"].pop("user")
        return project

    plan = replace(make_plan(tmp_path, OPERATOR), test_compose_overlay=overlay)
    with pytest.raises(StartError, match=r"gitgate: no user set"):
        prepare_state_dir(plan)
    assert not (plan.state_dir / "compose.yaml").exists()


def test_an_operator_who_is_not_root_keeps_every_file_as_it_was(tmp_path: Path) -> None:
    """No chown, no chmod: the sidecars run as the operator, who owns it all."""
    state = tmp_path / "b"
    ApprovalKey.load_or_create(state / "approval.key")
    share_with_sidecars(state, OPERATOR)
    assert stat.S_IMODE((state / "approval.key").stat().st_mode) == 0o600
    assert not (state / "queue").exists()


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to other uids needs root")


@needs_root
def test_a_root_operator_shares_the_queue_and_key_with_the_group_only(tmp_path: Path) -> None:
    """Queue dirs root:10100 rwxrws---, key root:10100 rw-r-----, logs the egress user's."""
    state = tmp_path / "b"
    (state / "logs").mkdir(parents=True)
    (state / "logs" / "egress-audit.jsonl").write_text("{}\n")
    (state / "gitgate" / "state" / "mirrors").mkdir(parents=True)
    (state / "gitgate" / "repos" / "app").mkdir(parents=True)
    (state / "gitgate" / "repos" / "app" / "deploy_key").write_text("k")
    (state / "gitgate" / "repos" / "app" / "deploy_key").chmod(0o600)
    ApprovalKey.load_or_create(state / "approval.key")

    share_with_sidecars(state, ROOT)

    for directory in ("queue", "queue/new", "queue/responses", "queue/claims", "queue/tmp"):
        info = (state / directory).stat()
        assert (info.st_uid, info.st_gid) == (0, QUEUE_GID), directory
        assert stat.S_IMODE(info.st_mode) == QUEUE_DIR_MODE, directory
    key = (state / "approval.key").stat()
    assert (key.st_uid, key.st_gid, stat.S_IMODE(key.st_mode)) == (0, QUEUE_GID, 0o640)
    ApprovalKey.load(state / "approval.key")  # still accepted (not group-writable)
    audit = (state / "logs" / "egress-audit.jsonl").stat()
    assert (audit.st_uid, audit.st_gid) == (EGRESS_UID, QUEUE_GID)
    deploy_key = (state / "gitgate" / "repos" / "app" / "deploy_key").stat()
    assert (deploy_key.st_uid, stat.S_IMODE(deploy_key.st_mode)) == (GITGATE_UID, 0o600)
    assert (state / "gitgate" / "state" / "mirrors").stat().st_uid == GITGATE_UID
