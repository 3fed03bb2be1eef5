"""The container engine as bb-cli sees it: one interface, one Docker implementation.

Like httpx's ``BaseTransport``: the rest of bb-cli is written against `Engine` and gets
the real one from `bb_cli.engine.default_engine`; tests pass a fake class instead of
patching subprocess. Calls the SDK does well (ping, inspect, images, exec with exit codes,
logs, commit, events, archives, signals) are typed methods; ``docker compose``, ``docker
build`` and the few commands whose CLI output is the interface (``ps --format json``) stay
command lines, still only through this seam (`Engine.run`, `Engine.compose`,
`Engine.build`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

__all__ = ["ContainerSummary", "Engine", "ExecResult"]


@dataclass(frozen=True)
class ExecResult:
    """What a command run inside a container ended with."""

    exit_code: int
    """The command's exit code (126/127: it could not be run)."""
    output: str
    """stdout and stderr, interleaved as the command wrote them."""


@dataclass(frozen=True)
class ContainerSummary:
    """One container as listed by the engine."""

    id: str
    """The full container id."""
    name: str
    """Its name, without the leading slash."""
    state: str
    """``running``, ``exited``, ``created``..."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Its labels (compose project and service among them)."""


class Engine(Protocol):
    """What bb-cli asks of a container engine. Errors: `bb_cli.engine.errors`."""

    binary: str
    """The CLI program for the calls that stay command lines (``docker``)."""

    # -- the engine itself ---------------------------------------------------------------
    def problem(self, *, timeout: float = 15) -> str | None:
        """Why the engine does not answer within ``timeout`` seconds, or None when it does."""
        ...

    def server_version(self) -> str:
        """The engine's version string (``28.5.1``)."""
        ...

    def info(self) -> dict[str, Any]:
        """The engine's ``/info``: NCPU, Runtimes, DefaultRuntime..."""
        ...

    def events(
        self, *, since: float, until: float, filters: Mapping[str, list[str]] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The engine's events between two timestamps (a finite stream)."""
        ...

    # -- objects ----------------------------------------------------------------------------
    def inspect(self, kind: str, name: str) -> dict[str, Any]:
        """The inspect document of a container, image, network or volume."""
        ...

    def containers(self, label: str, *, all: bool = True) -> list[ContainerSummary]:
        """Containers carrying ``label`` (``key`` or ``key=value``)."""
        ...

    def service_container(self, project: str, service: str) -> str | None:
        """The id of compose ``service``'s container in ``project`` (None: not created)."""
        ...

    def names(self, kind: str, label: str) -> list[str]:
        """Names of containers/networks/volumes carrying ``label`` (``k=v``)."""
        ...

    def volume_quota(self) -> bool:
        """Whether local volumes accept a ``size`` (a real probe)."""
        ...

    # -- images ------------------------------------------------------------------------------
    def image_id(self, ref: str) -> str | None:
        """The id of local image ``ref``, or None when it is not present."""
        ...

    def image_labels(self, ref: str) -> dict[str, str]:
        """The labels of a local image (empty when absent or unlabelled)."""
        ...

    def list_images(self, label_filter: str) -> list[str]:
        """``repo:tag`` of local images carrying the label filter ``key=value``."""
        ...

    def commit(self, container: str, image: str, *, changes: Sequence[str] = ()) -> str:
        """Commit ``container`` as ``image`` (``repo:tag``) with Dockerfile ``changes``; its id."""
        ...

    def remove_image(self, ref: str) -> None:
        """Remove a local image; quietly nothing when it is absent."""
        ...

    def build(
        self,
        context: Path,
        *,
        tag: str,
        labels: Mapping[str, str] | None = None,
        build_args: Mapping[str, str] | None = None,
        quiet: bool = False,
        log_path: Path | None = None,
        on_line: Callable[[str], None] | None = None,
        step: str = "docker build",
        error: Callable[[str], Exception] | None = None,
        timeout: float | None = None,
    ) -> None:
        """``docker build`` (BuildKit, its progress streamed to ``on_line`` and the log)."""
        ...

    def import_rootfs(self, rootfs: Path, tag: str, *, timeout: float) -> str | None:
        """``tar -C rootfs -c . | docker import - tag``; None, or why it failed."""
        ...

    # -- running containers ------------------------------------------------------------------
    def exec(
        self,
        container: str,
        argv: Sequence[str],
        *,
        user: str = "",
        environment: Mapping[str, str] | None = None,
    ) -> ExecResult:
        """Run ``argv`` in a running container; its exit code and output."""
        ...

    def logs(self, container: str, *, tail: int | None = None) -> str:
        """A container's log so far (stdout and stderr)."""
        ...

    def kill(self, container: str, signal: str = "KILL") -> None:
        """Send ``signal`` (``HUP``, ``TERM``...) to a running container."""
        ...

    def copy_out(self, container: str, path: str, out: BinaryIO) -> None:
        """Write ``path`` of ``container`` to ``out`` as a tar archive (like ``docker cp``)."""
        ...

    # -- command lines -----------------------------------------------------------------------
    def run(
        self,
        *args: str,
        timeout: float = 120,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """``docker ARGS``; `DockerCommandError` on failure when ``check``."""
        ...

    def compose(
        self,
        project: str,
        file: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """``docker compose -p PROJECT -f FILE ARGS``."""
        ...

    def stream(
        self,
        *args: str,
        log_path: Path,
        on_line: Callable[[str], None],
        step: str,
        error: Callable[[str], Exception],
        timeout: float | None = None,
    ) -> None:
        """``docker ARGS`` with its progress lines teed to ``log_path`` and ``on_line``
        (build, push, pull); ``error`` of the caller's layer when it fails or times out."""
        ...

    def interactive(self, *args: str) -> int:
        """``docker ARGS`` with the terminal attached (exec -it, attach, logs -f); its code."""
        ...
