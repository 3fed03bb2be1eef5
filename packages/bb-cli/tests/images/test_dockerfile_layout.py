"""The images bake in the same paths and ports as `bb_protocol.layout` (Dockerfiles cannot
import Python, so their literals are checked here against the constants)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bb_protocol import layout

IMAGES = Path(__file__).resolve().parents[4] / "images"


def _stages() -> dict[str, str]:
    """Every build stage of every Dockerfile under images/, by name (an unnamed single-stage
    file by its directory's name)."""
    stages: dict[str, str] = {}
    for dockerfile in sorted(IMAGES.glob("*/Dockerfile")):
        parts = re.split(r"(?m)^FROM\s+", dockerfile.read_text(encoding="utf-8"))[1:]
        for part in parts:
            header, _, body = part.partition("\n")
            named = re.search(r"\s+AS\s+(\S+)", header, re.IGNORECASE)
            name = named[1] if named else dockerfile.parent.name
            stages.setdefault(name, "")
            stages[name] += body
    return stages


def _exposed(stage: str) -> set[int]:
    return {int(p) for line in re.findall(r"(?m)^EXPOSE\s+(.+)$", stage) for p in line.split()}


def _installed_dirs(stage: str) -> set[str]:
    joined = stage.replace("\\\n", " ")
    dirs: set[str] = set()
    for command in re.findall(r"install -d[^&\n]*", joined):
        dirs |= {word for word in command.split() if word.startswith("/")}
    return dirs


@pytest.mark.parametrize(
    ("stage", "ports"),
    [
        ("egress", {layout.EGRESS_PORT, layout.EGRESS_INTROSPECTION_PORT}),
        ("supervise", {layout.SUPERVISE_PORT}),
        ("gitgate", {layout.GATE_PORT}),
    ],
)
def test_each_sidecar_image_exposes_the_layout_ports(stage: str, ports: set[int]) -> None:
    """EXPOSE documents the port the compose file, the health checks and the URLs use."""
    assert _exposed(_stages()[stage]) == ports


@pytest.mark.parametrize(
    ("stage", "directories"),
    [
        (
            "egress",
            {layout.EGRESS_CONFDIR, layout.LOG_DIR, layout.ROUTES_DIR, layout.AGENT_CA_DIR},
        ),
        ("gitgate", {layout.GATE_STATE_DIR}),
        ("agent", {layout.WORKSPACE, str(Path(layout.AGENT_DIR).parent)}),
    ],
)
def test_each_image_creates_the_layout_directories_it_owns(
    stage: str, directories: set[str]
) -> None:
    """Directories the image prepares (owner, mode) are the ones the launcher mounts over."""
    assert directories <= _installed_dirs(_stages()[stage])


def test_the_agent_images_home_is_the_layout_home() -> None:
    """The home volume is mounted where the image's HOME points."""
    assert f"ENV HOME={layout.AGENT_HOME}" in _stages()["agent"]
