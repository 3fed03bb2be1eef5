"""Specification of bb_cli.images.catalog: names, versions and the rebuild digest."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_cli.images.catalog import COMPONENTS, image_specs, inputs_digest, parse_version


def _tree(root: Path) -> Path:
    for package in ("bb-protocol", "bb-dlp", "bb-egress", "bb-supervise", "bb-gitgate"):
        src = root / "packages" / package / "src" / package.replace("-", "_")
        src.mkdir(parents=True)
        (src / "__init__.py").write_text("")
        (root / "packages" / package / "pyproject.toml").write_text(
            f'[project]\nname = "{package}"\nversion = "1.{len(package)}.0"\n'
        )
    for component in COMPONENTS:
        (root / "images" / component).mkdir(parents=True)
        (root / "images" / component / "Dockerfile").write_text("FROM debian:trixie-slim\n")
    (root / "images" / "agent" / "VERSION").write_text("0.4.2\n")
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
        "images/egress/Dockerfile",
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
