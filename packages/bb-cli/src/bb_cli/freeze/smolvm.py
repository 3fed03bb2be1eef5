"""`SmolvmFreezer`: archive inside the VM, copy out, build, pack via a throwaway registry.

smolvm's exec channel must not carry binary stdout, so ``tar`` writes to a file *in the
VM* (under ``/var/tmp``, itself excluded), ``smolvm machine cp`` copies it to the host,
and the file in the VM is removed. ``docker build`` turns the archive into an image; a
throwaway local registry (Debian's ``docker-registry`` binary, else ``registry:2``) serves
it to ``smolvm pack create --image``, which pulls from registries only. The snapshot
recorded is the packed ``.smolmachine`` file (kept under ``<state>/snapshots/``, outside
the bottle's directory, so ``bb rm`` leaves it) and ``bb resume`` boots it with
``machine create --from``. Each exec is preceded by a ``true`` probe, so a busy channel
reads "concurrent exec not available".
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from bb_cli.backends.smolvm.backend import SmolvmBackend
from bb_cli.backends.smolvm.render import machine_name
from bb_cli.backends.tool import ToolError
from bb_cli.engine import DockerCommandError, Engine
from bb_cli.errors import BackendError
from bb_cli.freeze.base import Freezer
from bb_cli.freeze.rootfs import tar_argv, write_dockerfile
from bb_cli.images.local_registry import REGISTRY_BINARY, find_registry_binary, local_registry
from bb_protocol.paths import state_dir

__all__ = ["REGISTRY_IMAGE", "DockerRegistry", "Registry", "SmolvmFreezer"]

REGISTRY_IMAGE = "registry:2"
IN_VM_ARCHIVE = "/var/tmp/bb-freeze.tar"  # noqa: S108 - inside the VM; /var/tmp is excluded


class Registry(Protocol):
    """Serves a local Docker image to ``smolvm pack create --image``."""

    def serve(self, image: str) -> contextlib.AbstractContextManager[str]:
        """Context in which ``image`` is pullable; yields its registry reference."""
        ...


class DockerRegistry:
    """A throwaway registry on 127.0.0.1, gone afterwards.

    Debian's ``docker-registry`` binary run as a process (`bb_cli.images.local_registry`)
    when it is installed, else a ``registry:2`` container when that image is present.
    """

    def __init__(self, docker: Engine, *, use_binary: bool = True) -> None:
        self.docker = docker
        self.use_binary = use_binary

    @contextlib.contextmanager
    def serve(self, image: str) -> Iterator[str]:
        """Run the registry, push ``image`` to it, yield the reference, remove it."""
        if self.use_binary and find_registry_binary() is not None:
            with local_registry() as host:
                ref = f"{host}/{image.split('/', 1)[-1]}"
                self.docker.run("tag", image, ref)
                try:
                    self.docker.run("push", ref, timeout=1800)
                    yield ref
                finally:
                    self.docker.run("image", "rm", ref, check=False)
            return
        if self.docker.run("image", "inspect", REGISTRY_IMAGE, check=False).returncode != 0:
            raise BackendError(
                f"packing a smolvm snapshot needs a local registry: install Debian's "
                f"`{REGISTRY_BINARY}` (`apt-get install -y {REGISTRY_BINARY}`, which "
                f"scripts/setup-host.sh does) or pull the {REGISTRY_IMAGE} image "
                f"(`docker pull {REGISTRY_IMAGE}`); the snapshot image {image} was built"
            )
        cid = self.docker.run(
            "run", "-d", "--rm", "-p", "127.0.0.1::5000", REGISTRY_IMAGE
        ).stdout.strip()
        try:
            port = self.docker.run("port", cid, "5000/tcp").stdout.strip().rsplit(":", 1)[1]
            ref = f"127.0.0.1:{port}/{image.split('/', 1)[-1]}"
            self.docker.run("tag", image, ref)
            self.docker.run("push", ref, timeout=1800)
            yield ref
        finally:
            self.docker.run("rm", "-f", cid, check=False)


class SmolvmFreezer(Freezer):
    """Snapshots a smolvm bottle's VM into a packed ``.smolmachine``."""

    def __init__(
        self,
        backend: SmolvmBackend,
        *,
        registry: Registry | None = None,
        snapshots: Path | None = None,
        state_root: Callable[[str], Path] | None = None,
    ) -> None:
        super().__init__(backend, state_root=state_root)
        self.vm = backend
        self.registry = registry or DockerRegistry(backend.docker)
        self.snapshots = snapshots

    def image_exists(self, image: str) -> bool:
        """The packed file is still there."""
        return Path(image).is_file()

    def export_hint(self, image: str) -> str:
        """Copy both pack files."""
        return f"copy {image.removesuffix('.smolmachine')} and {image} together"

    def _freeze(self, slug: str, image: str) -> str:
        vm = machine_name(slug)
        out_dir = (self.snapshots or state_dir() / "snapshots") / slug
        out_dir.mkdir(parents=True, exist_ok=True)
        pack = out_dir / image.rsplit(":", 1)[-1]
        try:
            with tempfile.TemporaryDirectory(prefix="bb-freeze-") as tmp:
                context = Path(tmp)
                self.vm._exec_captured(slug, tar_argv(IN_VM_ARCHIVE))
                try:
                    self.vm.tool.run(
                        "machine",
                        "cp",
                        f"{vm}:{IN_VM_ARCHIVE}",
                        str(context / "rootfs.tar"),
                        timeout=3600,
                    )
                finally:
                    self.vm._exec_captured(slug, ["rm", "-f", IN_VM_ARCHIVE])
                write_dockerfile(context, "rootfs.tar")
                self.vm.docker.run("build", "--quiet", "--tag", image, str(context), timeout=3600)
            with self.registry.serve(image) as ref:
                self.vm.tool.run("pack", "create", "--image", ref, "-o", str(pack), timeout=3600)
        except (ToolError, DockerCommandError) as exc:
            raise BackendError(f"cannot snapshot bottle {slug}: {exc}") from None
        return f"{pack}.smolmachine"
