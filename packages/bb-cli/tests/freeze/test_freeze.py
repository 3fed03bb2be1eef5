"""The shared commit flow: snapshot records, env blanking, the resume decision."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bb_cli.backends.availability import PROBES
from bb_cli.backends.base import BACKENDS, BottleBackend, BottleStatus, Progress
from bb_cli.errors import BackendError
from bb_cli.freeze import (
    FREEZERS,
    CommittedImage,
    Freezer,
    read_committed_image,
    snapshot_ref,
    write_committed_image,
)
from bb_cli.freeze.docker import blanked_env_changes
from bb_cli.freeze.rootfs import tar_argv
from bb_cli.plan import BottlePlan


class StubBackend(BottleBackend):
    """Only ``status`` matters to the freeze flow."""

    name = "stub"

    def __init__(self, agent: str) -> None:
        self.agent = agent

    def status(self, slug: str) -> BottleStatus:
        return BottleStatus(
            slug, "running" if self.agent == "running" else "stopped", {"agent": self.agent}
        )

    def start(self, plan: BottlePlan, progress: Progress) -> None: ...
    def exec(self, slug: str, argv: Sequence[str], *, tty: bool) -> int:
        return 0

    def attach(self, slug: str, argv: Sequence[str]) -> int:
        return 0

    def logs(self, slug: str, component: str, *, follow: bool) -> int:
        return 0

    def stop(self, slug: str) -> None: ...
    def remove(self, slug: str) -> None: ...


class RecordingFreezer(Freezer):
    """Remembers what it was asked to freeze; "has" the images it froze."""

    def __init__(self, backend: BottleBackend, root: Path) -> None:
        super().__init__(backend, state_root=lambda slug: root / slug)
        self.frozen: list[str] = []

    def _freeze(self, slug: str, image: str) -> str:
        self.frozen.append(image)
        return image

    def image_exists(self, image: str) -> bool:
        return image in self.frozen


def test_every_backend_has_a_freezer_and_a_doctor_probe() -> None:
    """Nothing above the backend layer needs to know a backend's name."""
    assert set(FREEZERS) == set(BACKENDS) == set(PROBES)


def test_snapshot_refs_name_the_bottle_and_the_time() -> None:
    """``bot-bottle-snapshot/<slug>:<unix time>``."""
    assert snapshot_ref("a-1", now=1700000000.5) == "bot-bottle-snapshot/a-1:1700000000"


@pytest.mark.parametrize(
    ("container", "image", "expected"),
    [
        (["PATH=/bin", "A=1"], ["PATH=/bin"], ["--change", "ENV A="]),
        (["PATH=/x"], ["PATH=/bin"], ["--change", "ENV PATH="]),
        (["PATH=/bin"], ["PATH=/bin"], []),
        (["B=2", "A=1=2"], [], ["--change", "ENV A=", "--change", "ENV B="]),
    ],
)
def test_commit_blanks_every_variable_the_bottle_added(
    container: list[str], image: list[str], expected: list[str]
) -> None:
    """The canary and every other bottle-set variable is blanked; the image's own stay."""
    assert blanked_env_changes(container, image) == expected


def test_root_snapshots_leave_out_kernel_temp_and_bottle_mounts() -> None:
    """/proc (the environment, so the canary), temp dirs and /etc/bot-bottle are excluded."""
    argv = tar_argv("-")
    for excluded in ("./proc", "./tmp", "./var/tmp", "./etc/bot-bottle", "./sys", "./dev"):
        assert f"--exclude={excluded}" in argv


def test_freeze_records_a_preserved_snapshot(tmp_path: Path) -> None:
    """The reference lands in ``committed.json``, marked preserved, with a resume hint."""
    freezer = RecordingFreezer(StubBackend("running"), tmp_path)
    result = freezer.freeze("a-1", now=5)
    assert result.committed.image == "bot-bottle-snapshot/a-1:5"
    assert result.committed.preserved
    assert read_committed_image("a-1", tmp_path / "a-1") == result.committed
    assert result.resume_hint == "`bb resume a-1` boots from bot-bottle-snapshot/a-1:5"


def test_freeze_refuses_a_bottle_whose_agent_is_not_running(tmp_path: Path) -> None:
    """Nothing is recorded and the error says how to get a running bottle."""
    freezer = RecordingFreezer(StubBackend("exited"), tmp_path)
    with pytest.raises(BackendError, match=r"agent: exited.*`bb resume a-1` first"):
        freezer.freeze("a-1")
    assert read_committed_image("a-1", tmp_path / "a-1") is None


def test_resume_uses_the_snapshot_while_it_exists(tmp_path: Path) -> None:
    """Present: its reference, no warning. Gone: ``None`` and one warning naming it."""
    freezer = RecordingFreezer(StubBackend("running"), tmp_path)
    image = freezer.freeze("a-1", now=5).committed.image
    warnings: list[str] = []
    assert freezer.resume_image("a-1", warnings.append) == image
    freezer.frozen.clear()
    assert freezer.resume_image("a-1", warnings.append) is None
    assert len(warnings) == 1
    assert image in warnings[0]


def test_a_never_committed_bottle_resumes_normally(tmp_path: Path) -> None:
    """No ``committed.json``: no snapshot, no warning."""
    freezer = RecordingFreezer(StubBackend("running"), tmp_path)
    assert freezer.resume_image("a-1", pytest.fail) is None


def test_an_unreadable_snapshot_record_is_an_error_naming_the_file(tmp_path: Path) -> None:
    """A corrupt record is never silently ignored (the user asked to keep that state)."""
    write_committed_image(CommittedImage(slug="a-1", backend="x", image="i"), tmp_path)
    (tmp_path / "committed.json").write_text("{not json")
    with pytest.raises(BackendError, match=r"committed\.json is not a valid snapshot record"):
        read_committed_image("a-1", tmp_path)
