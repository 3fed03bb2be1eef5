"""`DockerFreezer`: ``docker commit`` of the running agent, plus its home and workspace.

The agent runs with a read-only root filesystem, so what the user means by "its state"
(installed tools, caches, the agent's home, the checkout) lives in the ``home`` and
``workspace`` volumes, which ``docker commit`` does not capture. The snapshot is therefore
two steps, neither of which stops the bottle:

1. ``docker commit`` of the agent container (any root-filesystem changes and its config),
   with ``--change ENV NAME=`` blanking every variable the bottle added to the image's own
   environment: the canary, the proxy and MCP settings. A resumed bottle sets them again,
   with a fresh canary.
2. The engine streams ``/home/agent`` and ``/workspace`` out as tar archives (what
   ``docker cp`` does), and a two-line build adds them on top. A fresh volume mounted
   there on resume (another machine, or after ``bb rm``) is populated from the image by
   Docker.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from bb_cli.backends.base import BottleBackend
from bb_cli.engine import DockerCommandError, Engine, default_engine
from bb_cli.errors import BackendError
from bb_cli.freeze.base import Freezer
from bb_cli.names import agent_container

__all__ = ["STATE_DIRS", "DockerFreezer", "blanked_env", "blanked_env_changes"]

STATE_DIRS = ("/home/agent", "/workspace")
"""The agent's volumes carried into the snapshot."""


def blanked_env(container_env: list[str], image_env: list[str]) -> list[str]:
    """``ENV NAME=`` instructions blanking each variable the container has beyond its image's."""
    base = set(image_env)
    names = sorted({item.split("=", 1)[0] for item in container_env if item not in base})
    return [f"ENV {name}=" for name in names]


def blanked_env_changes(container_env: list[str], image_env: list[str]) -> list[str]:
    """`blanked_env` as ``docker commit`` arguments (``--change ENV NAME=`` pairs)."""
    return [arg for change in blanked_env(container_env, image_env) for arg in ("--change", change)]


class DockerFreezer(Freezer):
    """Snapshots a compose bottle's agent container into a local Docker image."""

    def __init__(
        self,
        backend: BottleBackend,
        docker: Engine | None = None,
        *,
        state_root: Callable[[str], Path] | None = None,
    ) -> None:
        super().__init__(backend, state_root=state_root)
        self.docker = docker or getattr(backend, "docker", None) or default_engine()

    def image_exists(self, image: str) -> bool:
        """The engine has ``image``."""
        return self.docker.image_id(image) is not None

    def _freeze(self, slug: str, image: str) -> str:
        container = agent_container(slug)
        try:
            info = self.docker.inspect("container", container)
            config = info.get("Config") or {}
            base = self.docker.inspect("image", str(config.get("Image", "")))
            changes = blanked_env(
                list(config.get("Env") or []), list((base.get("Config") or {}).get("Env") or [])
            )
            layer = f"{image}-commit"
            self.docker.commit(
                container, layer, changes=[*changes, f"LABEL org.bot-bottle.snapshot-of={slug}"]
            )
            try:
                self._add_state(container, layer, image)
            finally:
                with contextlib.suppress(DockerCommandError):
                    self.docker.remove_image(layer)
        except DockerCommandError as exc:
            raise BackendError(f"cannot snapshot bottle {slug}: {exc}") from None
        return image

    def _add_state(self, container: str, layer: str, image: str) -> None:
        """Stream the volumes out and build ``image`` = ``layer`` + their contents."""
        with tempfile.TemporaryDirectory(prefix="bb-freeze-") as tmp:
            context = Path(tmp)
            lines = [f"FROM {layer}"]
            for index, path in enumerate(STATE_DIRS):
                archive = context / f"state{index}.tar"
                with archive.open("wb") as out:
                    self.docker.copy_out(container, path, out)
                lines.append(f"ADD {archive.name} {Path(path).parent!s}")
            (context / "Dockerfile").write_text("\n".join(lines) + "\n", encoding="utf-8")
            with contextlib.suppress(OSError):
                (context / ".dockerignore").write_text("Dockerfile\n", encoding="utf-8")
            self.docker.build(context, tag=image, quiet=True, timeout=1800)
