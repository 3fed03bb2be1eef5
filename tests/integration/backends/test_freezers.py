"""`bb commit` on the Apple ``container`` and smolvm backends, against their fakes.

The Docker freezer is tested for real end to end (``tests/e2e/test_commit_resume.py``).
Here the fakes hold a machine's files in a directory, so a test writes the agent's state
straight into it and inspects exactly what the snapshot carried.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import subprocess
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.backends.conftest import FAKE_IMAGES, make_plan

from bb_cli.backends.apple_container import AppleContainerBackend
from bb_cli.backends.smolvm import SmolvmBackend
from bb_cli.backends.tool import Tool
from bb_cli.errors import BackendError
from bb_cli.freeze import get_freezer, read_committed_image
from bb_cli.freeze.apple_container import AppleContainerFreezer
from bb_cli.freeze.smolvm import REGISTRY_IMAGE, DockerRegistry, SmolvmFreezer
from bb_cli.images.local_registry import find_registry_binary
from bb_cli.plan import BottlePlan
from bb_testkit.fakes import install_fake


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def seed(machine_root: Path, canary: str) -> None:
    """The agent's state, plus what a snapshot must leave out."""
    for rel, text in {
        "home/agent/marker": "kept",
        "home/agent/.cache/tool": "cache",
        "tmp/junk": "scratch",
        "var/tmp/junk": "scratch",
        "etc/bot-bottle/ca/ca.pem": "cert",
    }.items():
        (machine_root / rel).parent.mkdir(parents=True, exist_ok=True)
        (machine_root / rel).write_text(text)
    assert canary not in "".join(p.read_text() for p in machine_root.rglob("*") if p.is_file())


def members(archive: bytes) -> set[str]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name.removeprefix("./") for m in tar.getmembers()}


LEFT_OUT = {"tmp/junk", "var/tmp/junk", "etc/bot-bottle/ca/ca.pem"}


# ------------------------------------------------------------------ Apple container


@pytest.fixture
def apple(tmp_path: Path) -> Iterator[tuple[AppleContainerBackend, BottlePlan, Path]]:
    fake = tmp_path / "fake"
    binary = install_fake(tmp_path / "bin", "container", fake)
    backend = AppleContainerBackend(Tool("container", path=str(binary)), lambda m: None)
    plan = make_plan(tmp_path, FAKE_IMAGES)
    backend.start(plan, lambda step, state: None)
    yield backend, plan, fake
    backend.remove(plan.slug)


def test_apple_container_snapshot_carries_home_and_not_temp_mounts_or_canary(
    apple: tuple[AppleContainerBackend, BottlePlan, Path],
) -> None:
    """Live tar via exec, built into an image; the container keeps running."""
    backend, plan, fake = apple
    seed(fake / "containers" / plan.agent_container, plan.egress.canary)
    result = get_freezer(backend).freeze(plan.slug)
    assert backend.status(plan.slug).containers["agent"] == "running"
    assert read_committed_image(plan.slug) == result.committed
    image = json.loads((fake / "state.json").read_text())["images"][result.committed.image]
    assert image["dockerfile"].startswith("FROM scratch\nADD rootfs.tar /")
    archive = (Path(image["stored"]) / "rootfs.tar").read_bytes()
    names = members(archive)
    assert {"home/agent/marker", "home/agent/.cache/tool"} <= names
    assert not names & LEFT_OUT
    assert plan.egress.canary.encode() not in archive
    assert AppleContainerFreezer(backend).image_exists(result.committed.image)


def test_apple_container_commit_of_a_stopped_bottle_is_refused(
    apple: tuple[AppleContainerBackend, BottlePlan, Path],
) -> None:
    """Stopped means removed for ``container``: nothing to snapshot, and it says so."""
    backend, plan, _ = apple
    backend.stop(plan.slug)
    with pytest.raises(BackendError, match="only a running bottle can be committed"):
        get_freezer(backend).freeze(plan.slug)


def test_resume_warns_when_the_snapshot_is_gone(
    apple: tuple[AppleContainerBackend, BottlePlan, Path],
) -> None:
    """A recorded snapshot the engine no longer has: a warning and ``None``."""
    backend, plan, fake = apple
    freezer = get_freezer(backend)
    image = freezer.freeze(plan.slug).committed.image
    data = json.loads((fake / "state.json").read_text())
    del data["images"][image]
    (fake / "state.json").write_text(json.dumps(data))
    warnings: list[str] = []
    assert freezer.resume_image(plan.slug, warnings.append) is None
    assert warnings == [
        f"snapshot {image} of bottle {plan.slug} no longer exists on this machine; "
        "resuming from the agent's normal image (state outside the volumes is lost)"
    ]


# ------------------------------------------------------------------ smolvm


class FakeRegistry:
    """FAKE registry: ``registry:2`` cannot be pulled here; yields a loopback reference."""

    def __init__(self) -> None:
        self.served: list[str] = []

    @contextlib.contextmanager
    def serve(self, image: str) -> Iterator[str]:
        self.served.append(image)
        yield f"127.0.0.1:5000/{image.split('/', 1)[-1]}"


@pytest.fixture
def smol(tmp_path: Path, docker_engine: None) -> Iterator[tuple[SmolvmBackend, BottlePlan, Path]]:
    fake = tmp_path / "fake"
    binary = install_fake(tmp_path / "bin", "smolvm", fake)
    backend = SmolvmBackend(Tool("smolvm", path=str(binary)))
    plan = make_plan(tmp_path, None)
    backend.start(plan, lambda step, state: None)
    yield backend, plan, fake
    backend.remove(plan.slug)
    for ref in subprocess.run(
        [
            "docker",
            "image",
            "ls",
            f"bot-bottle-snapshot/{plan.slug}",
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split():
        subprocess.run(["docker", "image", "rm", "-f", ref], capture_output=True, check=False)


def docker_image_files(image: str) -> tuple[set[str], bytes]:
    cid = subprocess.run(
        ["docker", "create", "--entrypoint", "true", image],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    try:
        raw = subprocess.run(["docker", "export", cid], capture_output=True, check=True).stdout
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True, check=False)
    return members(raw), raw


@pytest.mark.docker
def test_smolvm_snapshot_is_archived_in_the_vm_copied_out_built_and_packed(
    smol: tuple[SmolvmBackend, BottlePlan, Path], tmp_path: Path
) -> None:
    """The VM keeps running, the in-VM archive is removed, temp dirs are left out."""
    backend, plan, fake = smol
    vm_root = fake / "machines" / plan.agent_container
    seed(vm_root, plan.egress.canary)
    registry = FakeRegistry()
    freezer = SmolvmFreezer(backend, registry=registry, snapshots=tmp_path / "snaps")
    result = freezer.freeze(plan.slug)
    pack = result.committed.image
    assert pack.endswith(".smolmachine")
    assert Path(pack).is_file()
    assert Path(pack.removesuffix(".smolmachine")).is_file()
    assert backend.status(plan.slug).containers["agent"] == "running"
    assert not (vm_root / "var/tmp/bb-freeze.tar").exists()
    (built,) = registry.served
    names, raw = docker_image_files(built)
    assert {"home/agent/marker", "home/agent/.cache/tool"} <= names
    assert not names & LEFT_OUT
    assert plan.egress.canary.encode() not in raw


@pytest.mark.docker
def test_smolvm_resume_boots_the_pack_with_from(
    smol: tuple[SmolvmBackend, BottlePlan, Path], tmp_path: Path
) -> None:
    """``bb resume`` hands the pack as the agent image; the VM is created ``--from`` it."""
    backend, plan, fake = smol
    pack = SmolvmFreezer(backend, registry=FakeRegistry(), snapshots=tmp_path / "s").freeze(
        plan.slug
    )
    backend.stop(plan.slug)
    resumed = dataclasses.replace(plan, images={**plan.images, "agent": pack.committed.image})
    backend.start(resumed, lambda step, state: None)
    machine = json.loads((fake / "state.json").read_text())["machines"][plan.agent_container]
    assert machine["from"] == pack.committed.image
    assert backend.status(plan.slug).state == "running"


@pytest.mark.docker
def test_smolvm_pack_without_any_registry_says_what_to_install(
    smol: tuple[SmolvmBackend, BottlePlan, Path], tmp_path: Path
) -> None:
    """No registry binary used and no ``registry:2``: an error naming both ways to get one."""
    if (
        subprocess.run(
            ["docker", "image", "inspect", REGISTRY_IMAGE], capture_output=True, check=False
        ).returncode
        == 0
    ):
        pytest.skip(f"{REGISTRY_IMAGE} is present on this host")
    backend, plan, _ = smol
    registry = DockerRegistry(backend.docker, use_binary=False)
    with pytest.raises(BackendError, match=r"apt-get install -y docker-registry") as info:
        SmolvmFreezer(backend, registry=registry, snapshots=tmp_path / "s").freeze(plan.slug)
    assert f"docker pull {REGISTRY_IMAGE}" in str(info.value)
    assert os.path.isdir(tmp_path / "s")


class PullCheckingRegistry:
    """The real `DockerRegistry`; while it serves, the reference is fetched over the
    registry HTTP API (what ``smolvm pack create`` does: the fake smolvm does not pull)."""

    def __init__(self, inner: DockerRegistry) -> None:
        self.inner = inner
        self.manifests: list[dict[str, object]] = []

    @contextlib.contextmanager
    def serve(self, image: str) -> Iterator[str]:
        with self.inner.serve(image) as ref:
            host, _, rest = ref.partition("/")
            repository, _, tag = rest.rpartition(":")
            request = urllib.request.Request(
                f"http://{host}/v2/{repository}/manifests/{tag}",
                headers={
                    "Accept": "application/vnd.docker.distribution.manifest.v2+json, "
                    "application/vnd.oci.image.manifest.v1+json"
                },
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                self.manifests.append(json.loads(response.read()))
            yield ref


@pytest.mark.docker
def test_smolvm_pack_is_served_by_debians_registry_binary(
    smol: tuple[SmolvmBackend, BottlePlan, Path], tmp_path: Path
) -> None:
    """The default freezer registry: ``docker-registry`` as a loopback process, really
    serving the snapshot image while ``pack create`` runs, gone afterwards."""
    if find_registry_binary() is None:
        pytest.skip("docker-registry is not installed (scripts/setup-host.sh installs it)")
    backend, plan, fake = smol
    seed(fake / "machines" / plan.agent_container, plan.egress.canary)
    registry = PullCheckingRegistry(DockerRegistry(backend.docker))
    pack = SmolvmFreezer(backend, registry=registry, snapshots=tmp_path / "s").freeze(plan.slug)
    assert Path(pack.committed.image).is_file()
    (manifest,) = registry.manifests
    assert manifest["config"]
    leftover = subprocess.run(
        ["docker", "image", "ls", "--format", "{{.Repository}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not [r for r in leftover.split() if r.startswith("127.0.0.1:")]
