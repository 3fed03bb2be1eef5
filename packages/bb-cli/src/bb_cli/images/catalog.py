"""Which images bot-bottle builds, what they are called, and how a tag is chosen.

Pure logic: no Docker, no subprocesses. Each image is tagged with the version of the package
it carries (independent versioning); the agent image, which carries no bot-bottle code,
has its own ``images/agent/VERSION``. The runtime images ``agent-claude`` and ``agent-codex``
are built ``FROM`` the agent image and add one pinned CLI (``images/agent-clis.lock.json``);
their tag is the agent's version joined to the CLI's release (``0.1.0-2.1.332``). Every
image is labelled with its component, version, the protocol version it speaks and a hash of
the inputs it was built from, so a rebuild with no change is skipped and the launcher can
pick a compatible image at run time.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

__all__ = [
    "CLI_OF",
    "COMPONENTS",
    "CORE_COMPONENTS",
    "LABEL_COMPONENT",
    "LABEL_INPUTS",
    "LABEL_PROTOCOL",
    "LABEL_VERSION",
    "SIDECARS_DIR",
    "Component",
    "ImageSpec",
    "image_specs",
    "inputs_digest",
    "parse_version",
]

Component = Literal["egress", "supervise", "gitgate", "agent", "agent-claude", "agent-codex"]

CORE_COMPONENTS: Final[tuple[Component, ...]] = ("egress", "supervise", "gitgate", "agent")
"""What every bottle may need; the runtime images are built only for their runtime."""

COMPONENTS: Final[tuple[Component, ...]] = (*CORE_COMPONENTS, "agent-claude", "agent-codex")
"""Build order: each runtime image after the agent image it is built on."""

CLI_OF: Final[dict[Component, Literal["claude", "codex"]]] = {
    "agent-claude": "claude",
    "agent-codex": "codex",
}
"""The runtime images and the CLI each adds to the agent image."""

LABEL_COMPONENT: Final = "org.bot-bottle.component"
LABEL_VERSION: Final = "org.bot-bottle.version"
LABEL_PROTOCOL: Final = "org.bot-bottle.protocol"
LABEL_INPUTS: Final = "org.bot-bottle.inputs"

SIDECARS_DIR: Final = "sidecars"
"""``images/sidecars/Dockerfile`` builds every image that carries a package: one build stage,
one runtime base, a stage per sidecar chosen by the build argument ``BB_COMPONENT``."""

_PACKAGE_FOR: Final[dict[Component, str | None]] = {
    "egress": "bb-egress",
    "supervise": "bb-supervise",
    "gitgate": "bb-gitgate",
    "agent": None,
    "agent-claude": None,
    "agent-codex": None,
}

_ENGINE_FOR: Final[dict[Component, tuple[str, ...]]] = {
    "egress": ("bb-dlp",),
    "gitgate": ("bb-dlp",),
}
"""Workspace libraries a component's package depends on (their wheels go in too)."""


@dataclass(frozen=True)
class ImageSpec:
    """One image to build from a source tree."""

    component: Component
    package: str | None
    """The workspace package installed in the image (None: no bot-bottle code)."""
    version: str
    dockerfile_dir: Path
    cli_pin: str | None = None
    """For a runtime image: the lock's entry of its CLI as canonical JSON (a digest input)."""

    @property
    def base_component(self) -> Component | None:
        """The bot-bottle image this one is built ``FROM`` (None: the Debian base)."""
        return "agent" if self.component in CLI_OF else None

    @property
    def repository(self) -> str:
        """The local repository name, e.g. ``bot-bottle-egress``."""
        return f"bot-bottle-{self.component}"

    @property
    def ref(self) -> str:
        """The full image reference, e.g. ``bot-bottle-egress:0.1.0``."""
        return f"{self.repository}:{self.version}"

    @property
    def packages(self) -> tuple[str, ...]:
        """Workspace packages whose wheels go into the image (the contract first)."""
        if self.package is None:
            return ()
        return ("bb-protocol", *_ENGINE_FOR.get(self.component, ()), self.package)


def _package_version(root: Path, package: str) -> str:
    data = tomllib.loads((root / "packages" / package / "pyproject.toml").read_text())
    version = data.get("project", {}).get("version")
    if not isinstance(version, str):
        raise ValueError(f"packages/{package}/pyproject.toml has no [project] version")
    return version


def image_specs(root: Path, components: Iterable[Component] = COMPONENTS) -> list[ImageSpec]:
    """Describe the images of the source tree at ``root``."""
    specs: list[ImageSpec] = []
    for component in components:
        package = _PACKAGE_FOR[component]
        directory = root / "images" / (SIDECARS_DIR if package is not None else component)
        cli_pin = None
        if component in CLI_OF:
            agent_version = (root / "images" / "agent" / "VERSION").read_text().strip()
            pin = _lock_entry(root, CLI_OF[component])
            version = f"{agent_version}-{pin['version']}"
            cli_pin = json.dumps(pin, sort_keys=True)
        elif package is None:
            version = (directory / "VERSION").read_text().strip()
        else:
            version = _package_version(root, package)
        specs.append(ImageSpec(component, package, version, directory, cli_pin))
    return specs


def _lock_entry(root: Path, cli: str) -> dict[str, object]:
    lock = json.loads((root / "images" / "agent-clis.lock.json").read_text(encoding="utf-8"))
    entry = lock.get("clis", {}).get(cli)
    if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
        raise ValueError(f"images/agent-clis.lock.json has no valid entry for {cli!r}")
    return entry


def _files_under(path: Path) -> list[Path]:
    skip = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
    return sorted(p for p in path.rglob("*") if p.is_file() and not skip.intersection(p.parts))


def inputs_digest(root: Path, spec: ImageSpec, *, base_image_id: str, protocol: int) -> str:
    """Hash everything the image is built from; equal digests mean nothing changed."""
    digest = hashlib.sha256()
    digest.update(f"base={base_image_id}\nprotocol={protocol}\n".encode())
    if spec.cli_pin is not None:
        digest.update(f"cli={spec.cli_pin}\n".encode())
    files = _files_under(spec.dockerfile_dir)
    if spec.packages:
        files.append(root / "uv.lock")
        for package in spec.packages:
            pkg = root / "packages" / package
            files.append(pkg / "pyproject.toml")
            files.extend(_files_under(pkg / "src"))
    for file in files:
        digest.update(str(file.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()[:32]


def parse_version(text: str) -> tuple[int, ...]:
    """Order versions like ``0.10.0 > 0.9.3``; non-numeric parts sort first."""
    parts: list[int] = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else -1)
    return tuple(parts)
