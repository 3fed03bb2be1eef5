"""Bottles for the backend contract: one per backend, real Docker or the tools' fakes."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bb_cli.backends import BottleBackend
from bb_cli.backends.apple_container import AppleContainerBackend
from bb_cli.backends.compose import ComposeBackend
from bb_cli.backends.smolvm import SmolvmBackend
from bb_cli.backends.tool import Tool
from bb_cli.images import resolve_image
from bb_cli.manifests import ManifestIndex
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity
from bb_protocol.paths import bottle_dir
from bb_testkit.fakes import install_fake

FAKE_IMAGES = {c: f"bot-bottle-{c}:fake" for c in ("egress", "supervise", "agent", "gitgate")}


@dataclass
class Harness:
    """A backend, the plan of its bottle, and where its fake (if any) keeps state."""

    backend: BottleBackend
    plan: BottlePlan
    fake_state: Path | None
    warnings: list[str]


def make_plan(root: Path, images: dict[str, str] | None) -> BottlePlan:
    """The bundled ``shell`` example as a plan, state under ``$BOT_BOTTLE_STATE_DIR``."""
    index = ManifestIndex.default(cwd=root, environ={"HOME": str(root)})
    return BottlePlan.resolve(
        BottleSpec("shell", index, slug=f"contract-{secrets.token_hex(3)}"),
        environ={},
        image_for=(images or {}).get if images else resolve_image,  # type: ignore[arg-type]
        state_dir=bottle_dir,
        host=HostIdentity(os.getuid(), os.getgid()),
    )


def _backend(kind: str, root: Path, warnings: list[str]) -> tuple[BottleBackend, Path | None]:
    if kind == "compose":
        return ComposeBackend(), None
    tool = "container" if kind == "apple-container" else "smolvm"
    state = root / f"fake-{tool}"
    binary = install_fake(root / "bin", tool, state)
    if kind == "apple-container":
        return AppleContainerBackend(Tool("container", path=str(binary)), warnings.append), state
    return SmolvmBackend(Tool("smolvm", path=str(binary))), state


@pytest.fixture(scope="module")
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    """A started bottle on the backend named by the test's parameter; always removed."""
    kind = request.param
    if kind != "apple-container":
        request.getfixturevalue("docker_engine")
    root = tmp_path_factory.mktemp(kind)
    old = os.environ.get("BOT_BOTTLE_STATE_DIR")
    os.environ["BOT_BOTTLE_STATE_DIR"] = str(root / "state")
    warnings: list[str] = []
    try:
        backend, fake_state = _backend(kind, root, warnings)
        plan = make_plan(root, FAKE_IMAGES if kind == "apple-container" else None)
        backend.start(plan, lambda step, state: None)
        try:
            yield Harness(backend, plan, fake_state, warnings)
        finally:
            backend.remove(plan.slug)
    finally:
        if old is None:
            os.environ.pop("BOT_BOTTLE_STATE_DIR", None)
        else:
            os.environ["BOT_BOTTLE_STATE_DIR"] = old
