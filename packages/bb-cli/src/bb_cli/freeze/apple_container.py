"""`AppleContainerFreezer`: stream the running agent's root out with ``container exec``.

Apple ``container`` has no ``commit`` and removes a stopped ``--rm`` container, so the
snapshot is taken live: ``container exec --user root AGENT tar ... -cf - /`` writes the
root filesystem (volumes included, `EXCLUDES` left out) to a host file, and
``container build`` makes an image of it. The container keeps running throughout.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from bb_cli.backends.apple_container.translate import agent_name
from bb_cli.backends.base import BottleBackend
from bb_cli.backends.tool import Tool, ToolError, describe_failure
from bb_cli.errors import BackendError
from bb_cli.freeze.base import Freezer
from bb_cli.freeze.rootfs import tar_argv, write_dockerfile

__all__ = ["AppleContainerFreezer"]


class AppleContainerFreezer(Freezer):
    """Snapshots an Apple ``container`` bottle into a ``container`` image."""

    def __init__(
        self,
        backend: BottleBackend,
        tool: Tool | None = None,
        *,
        state_root: Callable[[str], Path] | None = None,
    ) -> None:
        super().__init__(backend, state_root=state_root)
        found = getattr(backend, "tool", None)
        self.tool = tool or (found if isinstance(found, Tool) else Tool("container"))

    def image_exists(self, image: str) -> bool:
        """``container image inspect`` succeeds."""
        return self.tool.run("image", "inspect", image, check=False, timeout=30).returncode == 0

    def export_hint(self, image: str) -> str:
        """Apple's ``container image save``."""
        return f"container image save --output snapshot.tar {image}"

    def _freeze(self, slug: str, image: str) -> str:
        args = ["exec", "--user", "root", agent_name(slug), *tar_argv("-")]
        path = self.tool.path
        if path is None:
            raise BackendError("container is not installed or not on PATH")
        with tempfile.TemporaryDirectory(prefix="bb-freeze-") as tmp:
            context = Path(tmp)
            with (context / "rootfs.tar").open("wb") as out:
                done = subprocess.run(
                    [path, *args], stdout=out, stderr=subprocess.PIPE, timeout=3600, check=False
                )
            if done.returncode != 0:
                failure = describe_failure(
                    ["container", *args], done.returncode, done.stderr.decode(errors="replace")
                )
                raise BackendError(f"cannot snapshot bottle {slug}: {failure}")
            dockerfile = write_dockerfile(context, "rootfs.tar")
            try:
                self.tool.run(
                    "build", "--tag", image, "--file", str(dockerfile), str(context), timeout=3600
                )
            except ToolError as exc:
                raise BackendError(f"cannot snapshot bottle {slug}: {exc}") from None
        return image
