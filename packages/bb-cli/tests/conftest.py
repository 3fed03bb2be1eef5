"""Shared fixtures of bb-cli's unit tests: a fake container engine behind the Docker seam.

`FakeEngine` stands where `bb_cli.engine.DockerEngine` stands (the `Engine` interface):
tests hand it to the code under test instead of patching subprocess or the SDK. It holds
images and containers in memory, records every call, and fails loudly on a call a test
did not script.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from bb_cli.engine import ContainerSummary, DockerNotFoundError, Engine, ExecResult


@dataclass
class FakeEngine:
    """An in-memory engine: images (ref -> labels), containers, and a log of calls."""

    images: dict[str, dict[str, str]] = field(default_factory=dict)
    """Local images by ``repo:tag``, with their labels."""
    containers_by_id: dict[str, ContainerSummary] = field(default_factory=dict)
    """Containers by id."""
    down: str | None = None
    """Why the engine does not answer (None: it does)."""
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    """Every call, in order: (method, arguments)."""
    binary: str = "docker"

    def _log(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))

    def _unscripted(self, name: str) -> AssertionError:
        return AssertionError(f"FakeEngine.{name} was called but no test scripted it")

    def problem(self, *, timeout: float = 15) -> str | None:
        self._log("problem")
        return self.down

    def server_version(self) -> str:
        return "28.5.0"

    def info(self) -> dict[str, Any]:
        return {"NCPU": 2, "Runtimes": {"runc": {}}, "DefaultRuntime": "runc"}

    def events(
        self, *, since: float, until: float, filters: Mapping[str, list[str]] | None = None
    ) -> Iterator[dict[str, Any]]:
        return iter(())

    def inspect(self, kind: str, name: str) -> dict[str, Any]:
        if kind == "image" and name in self.images:
            return {"Id": f"sha256:{abs(hash(name)):x}", "Config": {"Labels": self.images[name]}}
        raise DockerNotFoundError([kind, "inspect", name], 1, f"No such {kind}: {name}")

    def containers(self, label: str, *, all: bool = True) -> list[ContainerSummary]:
        key, _, value = label.partition("=")
        return [
            c
            for c in self.containers_by_id.values()
            if key in c.labels
            and (not value or c.labels[key] == value)
            and (all or c.state == "running")
        ]

    def service_container(self, project: str, service: str) -> str | None:
        for c in self.containers(f"com.docker.compose.project={project}"):
            if c.labels.get("com.docker.compose.service") == service:
                return c.id
        return None

    def names(self, kind: str, label: str) -> list[str]:
        return [c.name for c in self.containers(label)] if kind == "container" else []

    def volume_quota(self) -> bool:
        return False

    def image_id(self, ref: str) -> str | None:
        return str(self.inspect("image", ref)["Id"]) if ref in self.images else None

    def image_labels(self, ref: str) -> dict[str, str]:
        return dict(self.images.get(ref, {}))

    def list_images(self, label_filter: str) -> list[str]:
        key, _, value = label_filter.partition("=")
        return [ref for ref, labels in self.images.items() if labels.get(key) == value]

    def commit(self, container: str, image: str, *, changes: Sequence[str] = ()) -> str:
        self._log("commit", container, image, tuple(changes))
        self.images[image] = {}
        return str(self.inspect("image", image)["Id"])

    def remove_image(self, ref: str) -> None:
        self._log("remove_image", ref)
        self.images.pop(ref, None)

    def build(self, context: Path, *, tag: str, **kwargs: Any) -> None:
        self._log("build", context, tag)
        self.images[tag] = dict(kwargs.get("labels") or {})

    def import_rootfs(self, rootfs: Path, tag: str, *, timeout: float) -> str | None:
        self._log("import_rootfs", rootfs, tag)
        self.images[tag] = {}
        return None

    def exec(
        self,
        container: str,
        argv: Sequence[str],
        *,
        user: str = "",
        environment: Mapping[str, str] | None = None,
    ) -> ExecResult:
        raise self._unscripted("exec")

    def logs(self, container: str, *, tail: int | None = None) -> str:
        raise self._unscripted("logs")

    def kill(self, container: str, signal: str = "KILL") -> None:
        self._log("kill", container, signal)
        if container not in self.containers_by_id:
            raise DockerNotFoundError(["kill", container], 1, f"No such container: {container}")

    def copy_out(self, container: str, path: str, out: BinaryIO) -> None:
        raise self._unscripted("copy_out")

    def run(
        self,
        *args: str,
        timeout: float = 120,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        raise self._unscripted(f"run({' '.join(args[:3])})")

    def compose(
        self,
        project: str,
        file: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        raise self._unscripted(f"compose({' '.join(args[:3])})")

    def stream(self, *args: str, **kwargs: Any) -> None:
        raise self._unscripted(f"stream({' '.join(args[:3])})")

    def interactive(self, *args: str) -> int:
        raise self._unscripted("interactive")


def _conforms(engine: Engine) -> Engine:
    """Typing check: `FakeEngine` satisfies the `Engine` interface (mypy sees this call)."""
    return engine


_conforms(FakeEngine())


@pytest.fixture
def fake_engine() -> FakeEngine:
    """A fresh `FakeEngine` with no images or containers."""
    return FakeEngine()


FakeEngineFactory = Callable[..., FakeEngine]
