"""Specification of bb_cli.images.catalog: names, versions and the rebuild digest."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_cli.images.catalog import image_specs, inputs_digest, parse_version


def _tree(root: Path) -> Path:
    for package in ("bb-protocol", "bb-dlp", "bb-egress", "bb-supervise", "bb-gitgate"):
        src = root / "packages" / package / "src" / package.replace("-", "_")
        src.mkdir(parents=True)
        (src / "__init__.py").write_text("")
        (root / "packages" / package / "pyproject.toml").write_text(
            f'[project]\nname = "{package}"\nversion = "1.{len(package)}.0"\n'
        )
    for directory in ("sidecars", "agent", "agent-claude", "agent-codex"):
        (root / "images" / directory).mkdir(parents=True)
        (root / "images" / directory / "Dockerfile").write_text("FROM debian:trixie-slim\n")
    (root / "images" / "agent" / "VERSION").write_text("0.4.2\n")
    (root / "images" / "agent-clis.lock.json").write_text(
        '{"clis": {"claude": {"version": "2.1.0", "integrity": "sha512-A"},'
        ' "codex": {"version": "0.9.0", "integrity": "sha512-B"}}}'
    )
    (root / "uv.lock").write_text("lock\n")
    return root


def test_each_image_is_tagged_with_its_own_package_version(tmp_path: Path) -> None:
    """Independent versioning: the tag is the carried package's version."""
    specs = {s.component: s for s in image_specs(_tree(tmp_path))}
    assert specs["egress"].ref == "bot-bottle-egress:1.9.0"
    assert specs["supervise"].ref == "bot-bottle-supervise:1.12.0"
    assert specs["agent"].ref == "bot-bottle-agent:0.4.2"
    assert specs["agent"].packages == ()
    assert specs["gitgate"].packages == ("bb-protocol", "bb-dlp", "bb-gitgate")
    assert specs["egress"].packages == ("bb-protocol", "bb-dlp", "bb-egress")
    assert specs["supervise"].packages == ("bb-protocol", "bb-supervise")


def test_digest_is_stable_when_nothing_changes(tmp_path: Path) -> None:
    """Two digests of the same inputs are equal, so the rebuild is skipped."""
    root = _tree(tmp_path)
    spec = image_specs(root, ["egress"])[0]
    first = inputs_digest(root, spec, base_image_id="sha256:a", protocol=1)
    assert inputs_digest(root, spec, base_image_id="sha256:a", protocol=1) == first


@pytest.mark.parametrize(
    "change",
    [
        "packages/bb-egress/src/bb_egress/__init__.py",
        "packages/bb-protocol/src/bb_protocol/__init__.py",
        "packages/bb-dlp/src/bb_dlp/__init__.py",
        "images/sidecars/Dockerfile",
        "uv.lock",
    ],
)
def test_digest_changes_when_an_input_changes(tmp_path: Path, change: str) -> None:
    """Editing the package, the contract, the DLP engine, the Dockerfile or the lock rebuilds."""
    root = _tree(tmp_path)
    spec = image_specs(root, ["egress"])[0]
    before = inputs_digest(root, spec, base_image_id="sha256:a", protocol=1)
    (root / change).write_text("changed\n")
    assert inputs_digest(root, spec, base_image_id="sha256:a", protocol=1) != before


def test_digest_ignores_other_packages(tmp_path: Path) -> None:
    """A change to the git gate does not rebuild the egress image."""
    root = _tree(tmp_path)
    spec = image_specs(root, ["egress"])[0]
    before = inputs_digest(root, spec, base_image_id="sha256:a", protocol=1)
    (root / "packages/bb-gitgate/src/bb_gitgate/__init__.py").write_text("changed\n")
    assert inputs_digest(root, spec, base_image_id="sha256:a", protocol=1) == before


def test_digest_changes_with_the_base_image_and_protocol(tmp_path: Path) -> None:
    """A new base image or protocol version also forces a rebuild."""
    root = _tree(tmp_path)
    spec = image_specs(root, ["agent"])[0]
    a = inputs_digest(root, spec, base_image_id="sha256:a", protocol=1)
    assert inputs_digest(root, spec, base_image_id="sha256:b", protocol=1) != a
    assert inputs_digest(root, spec, base_image_id="sha256:a", protocol=2) != a


@pytest.mark.parametrize(
    ("older", "newer"), [("0.9.3", "0.10.0"), ("0.1.0", "0.1.1"), ("1.9", "1.9.1")]
)
def test_versions_order_numerically(older: str, newer: str) -> None:
    """Image versions compare as numbers, not strings."""
    assert parse_version(older) < parse_version(newer)


def test_runtime_images_are_tagged_with_the_agent_and_cli_versions(tmp_path: Path) -> None:
    """agent-claude/agent-codex are built on the agent image; the tag names both versions."""
    specs = {s.component: s for s in image_specs(_tree(tmp_path))}
    assert specs["agent-claude"].ref == "bot-bottle-agent-claude:0.4.2-2.1.0"
    assert specs["agent-codex"].ref == "bot-bottle-agent-codex:0.4.2-0.9.0"
    assert specs["agent-claude"].base_component == "agent"
    assert specs["agent"].base_component is None


def test_digest_of_a_runtime_image_changes_with_its_pin_only(tmp_path: Path) -> None:
    """Re-pinning claude rebuilds agent-claude, not agent-codex."""
    root = _tree(tmp_path)
    lock = root / "images" / "agent-clis.lock.json"

    def digests() -> tuple[str, str]:
        claude, codex = image_specs(root, ["agent-claude", "agent-codex"])
        return (
            inputs_digest(root, claude, base_image_id="sha256:a", protocol=1),
            inputs_digest(root, codex, base_image_id="sha256:a", protocol=1),
        )

    before = digests()
    lock.write_text(lock.read_text().replace("sha512-A", "sha512-Z"))
    after = digests()
    assert after[0] != before[0]
    assert after[1] == before[1]


def test_the_three_sidecars_share_one_dockerfile(tmp_path: Path) -> None:
    """egress, supervise and gitgate build from images/sidecars (one build stage)."""
    specs = {s.component: s for s in image_specs(_tree(tmp_path))}
    for component in ("egress", "supervise", "gitgate"):
        assert specs[component].dockerfile_dir == tmp_path / "images" / "sidecars"
    assert specs["agent"].dockerfile_dir == tmp_path / "images" / "agent"
