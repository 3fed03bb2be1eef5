"""Specification of the image wheel set (bb_cli.images.wheels): no test support in an image.

An image installs exactly its spec's workspace wheels plus the locked third-party
dependencies of its package (``uv export --no-dev``). The dev-only bb-testkit must be in
neither: not a workspace wheel of any image, not a runtime dependency of any product package.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bb_cli.images.catalog import COMPONENTS, image_specs

ROOT = Path(__file__).resolve().parents[4]
TESTKIT = "bb-testkit"
PRODUCT_PACKAGES = ("bb-protocol", "bb-dlp", "bb-egress", "bb-supervise", "bb-gitgate", "bb-cli")


def _has_workspace() -> bool:
    return (ROOT / "packages" / TESTKIT / "pyproject.toml").is_file()


needs_workspace = pytest.mark.skipif(not _has_workspace(), reason="needs the source tree")


@needs_workspace
@pytest.mark.parametrize("component", COMPONENTS)
def test_no_image_builds_the_test_support_wheel(component: str) -> None:
    """The workspace wheels of every image leave bb-testkit out."""
    (spec,) = image_specs(ROOT, [component])  # type: ignore[list-item]
    assert TESTKIT not in spec.packages
    assert all(package in PRODUCT_PACKAGES for package in spec.packages)


@needs_workspace
@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_no_product_package_depends_on_the_test_support(package: str) -> None:
    """bb-testkit is no runtime dependency or extra of a product package (a dev group only)."""
    project = tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text())["project"]
    runtime = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        runtime += extra
    assert not [dep for dep in runtime if dep.replace("_", "-").startswith(TESTKIT)]
