"""Specification of bb_cli.images.clis: the pinned agent CLIs, verified before any use."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from bb_cli.images.clis import (
    CliLock,
    PinnedCli,
    bump_lock,
    extract_binaries,
    fetch_cli,
    load_lock,
    verify_integrity,
)
from bb_cli.images.errors import ImageBuildError
from bb_cli.images.progress import RecordingReporter

ROOT = Path(__file__).resolve().parents[4]


def _tarball(path: Path, files: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def _pin(integrity: str) -> PinnedCli:
    return PinnedCli(
        package="@example/tool-linux-x64",
        version="1.2.3",
        integrity=integrity,
        binaries={"package/tool": "tool"},
    )


def test_the_committed_lock_pins_both_clis_with_sha512() -> None:
    """The repository's lock is valid and pins claude and codex by integrity."""
    lock = load_lock(ROOT)
    assert set(lock.clis) == {"claude", "codex"}
    assert lock.clis["codex"].spec.endswith("-linux-x64")
    assert all(pin.integrity.startswith("sha512-") for pin in lock.clis.values())


def test_integrity_matches_only_the_exact_bytes(tmp_path: Path) -> None:
    """One changed byte fails the sha512 check."""
    tgz = tmp_path / "a.tgz"
    integrity = _tarball(tgz, {"package/tool": b"#!/bin/sh\n"})
    assert verify_integrity(tgz, integrity)
    tgz.write_bytes(tgz.read_bytes() + b"\0")
    assert not verify_integrity(tgz, integrity)


def test_a_verified_cached_tarball_is_used_without_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache hit that matches the lock needs no registry (offline rebuilds)."""
    monkeypatch.setenv("PATH", "")
    (tmp_path / "clis").mkdir()
    pin = _pin("sha512-x")
    tgz = tmp_path / "clis" / pin.tarball_name
    pin = _pin(_tarball(tgz, {"package/tool": b"bin"}))
    assert fetch_cli("tool", pin, tmp_path, RecordingReporter()) == tgz


def test_a_cached_tarball_that_does_not_match_the_lock_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A swapped cache entry is discarded, never built (here npm is absent: a clear error)."""
    monkeypatch.setenv("PATH", "")
    (tmp_path / "clis").mkdir()
    pin = _pin("sha512-" + base64.b64encode(b"\0" * 64).decode())
    tgz = tmp_path / "clis" / pin.tarball_name
    _tarball(tgz, {"package/tool": b"evil"})
    reporter = RecordingReporter()
    with pytest.raises(ImageBuildError, match="npm is not installed"):
        fetch_cli("tool", pin, tmp_path, reporter)
    assert not tgz.exists()
    assert reporter.events[0][0] == "warn"


def test_only_the_named_binaries_are_extracted_executable(tmp_path: Path) -> None:
    """The build context gets the binaries the lock names, mode 0755, nothing else."""
    tgz = tmp_path / "a.tgz"
    integrity = _tarball(tgz, {"package/tool": b"bin", "package/README.md": b"doc"})
    (out,) = extract_binaries(tgz, _pin(integrity), tmp_path / "bin")
    assert out.name == "tool"
    assert out.read_bytes() == b"bin"
    assert out.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in (tmp_path / "bin").iterdir()) == ["tool"]


def test_a_missing_binary_in_the_tarball_is_an_error(tmp_path: Path) -> None:
    """A package whose layout changed fails the build, naming the path."""
    tgz = tmp_path / "a.tgz"
    integrity = _tarball(tgz, {"package/other": b"x"})
    with pytest.raises(ImageBuildError, match="package/tool"):
        extract_binaries(tgz, _pin(integrity), tmp_path / "bin")


def test_bump_repins_versions_and_keeps_codex_platform_suffix() -> None:
    """The bump asks npm for the latest release and its integrity; codex keeps -linux-x64."""
    lock = CliLock(
        clis={
            "claude": PinnedCli(
                package="@a/claude-linux-x64",
                version="1.0.0",
                integrity="sha512-AAAA",
                binaries={"package/claude": "claude"},
            ),
            "codex": PinnedCli(
                package="@o/codex",
                version="0.1.0",
                npm_version="0.1.0-linux-x64",
                integrity="sha512-BBBB",
                binaries={"package/codex": "codex"},
            ),
        }
    )
    asked: list[tuple[str, str]] = []

    def view(spec: str, field: str) -> str:
        asked.append((spec, field))
        return {"version": "9.9.9", "dist.integrity": "sha512-" + "C" * 8}[field]

    new, changes = bump_lock(lock, view, wanted={"codex": "0.2.0"})
    assert new.clis["claude"].version == "9.9.9"
    assert new.clis["codex"].spec == "@o/codex@0.2.0-linux-x64"
    assert changes == {"claude": ("1.0.0", "9.9.9"), "codex": ("0.1.0", "0.2.0")}
    assert ("@o/codex@0.2.0-linux-x64", "dist.integrity") in asked


def test_building_on_another_architecture_is_refused_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """x64 binaries never land in an arm64 image; the error says how to pin arm64."""
    from bb_cli.images import clis

    monkeypatch.setattr(clis.platform, "machine", lambda: "aarch64")
    with pytest.raises(ImageBuildError, match="linux-arm64"):
        clis.prepare_cli(ROOT, "claude", tmp_path, tmp_path, RecordingReporter())
